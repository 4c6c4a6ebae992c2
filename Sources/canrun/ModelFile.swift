import CanrunCore
import CanrunProbe
import Foundation

/// A model to fit or show: its architecture, and what its file says beyond it.
struct ResolvedModel {
    var spec: ModelSpec
    /// The GGUF file the model came from: its tensor table measures the weights exactly.
    var gguf: GGUFModel?
    /// How a config.json's checkpoint is stored (GPTQ, AWQ, FP8, …), when it says.
    var storedAs: HFConfigReader.Quantization?
    /// The GGUF file's path as given, for the launch line.
    var file: String?
    /// The quantization an Ollama name's tag ships (`Advisor.question(_:naming:)`).
    var impliedQuant: String? = nil

    var fileWeights: WeightsEstimate? { gguf?.weights }
}

/// A model named by a file: a Hugging Face `config.json` (or the folder holding one) or a GGUF
/// file (split files: the first part). Errors name the file and what was wrong with it.
func resolveModelFile(_ path: String, table: QuantTable) throws -> ResolvedModel {
    guard FileManager.default.fileExists(atPath: path) else { throw CLIError(message: "no such file: \(path)") }
    do {
        if let config = HFConfigFile.path(path) {
            let (spec, storedAs) = try HFConfigReader.read(try HFConfigFile.read(config), id: HFConfigFile.id(config))
            return ResolvedModel(spec: spec, storedAs: storedAs)
        }
        let file = try GGUFFiles.model(path, table: table)
        return ResolvedModel(spec: file.spec, gguf: file, file: path)
    } catch let error as HFConfigReader.ReadError {
        throw CLIError(message: "\(path): \(error)")
    } catch let error as GGUFError {
        throw CLIError(message: "\(path): \(error)")
    } catch let error as FileError {
        throw CLIError(message: "\(error)")
    } catch {
        throw CLIError(message: "\(path): \(error.localizedDescription)")
    }
}

/// A catalog id, or a file when one exists at that path or the name looks like one (`./x`,
/// `/x`, `~/x`, `*.gguf`, `*.json`): a missing file is said as such, not looked up as an id.
func resolveModel(_ name: String, advisor: Advisor, table: QuantTable) throws -> ResolvedModel {
    let looksLikePath =
        name.hasPrefix("./") || name.hasPrefix("../") || name.hasPrefix("/") || name.hasPrefix("~")
        || name.lowercased().hasSuffix(".gguf") || name.lowercased().hasSuffix(".json")
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: name, isDirectory: &isDirectory), isDirectory.boolValue {
        guard HFConfigFile.path(name) != nil else {
            throw CLIError(
                message:
                    "no config.json or .gguf in \(name): name the folder that holds a model's config.json, or a .gguf file"
            )
        }
        return try resolveModelFile(name, table: table)
    }
    if looksLikePath || FileManager.default.fileExists(atPath: name) {
        return try resolveModelFile(name, table: table)
    }
    do {
        return ResolvedModel(spec: try advisor.model(name), impliedQuant: advisor.catalog.impliedQuant(name))
    } catch {
        throw CLIError(message: error.description + " (a .gguf or config.json path works too)")
    }
}

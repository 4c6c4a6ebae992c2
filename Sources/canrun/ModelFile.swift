import CanrunCore
import CanrunProbe
import Foundation

/// A model named by a file: a Hugging Face `config.json` (or the folder holding one) or a GGUF
/// file (split files: the first part). Errors name the file and what was wrong with it.
func modelSpec(fromFile path: String, table: QuantTable) throws -> ModelSpec {
    guard FileManager.default.fileExists(atPath: path) else { throw CLIError(message: "no such file: \(path)") }
    do {
        if let config = HFConfigFile.path(path) {
            return try HFConfigReader.read(
                try Data(contentsOf: URL(fileURLWithPath: config)),
                id: HFConfigFile.id(config)
            ).0
        }
        return try GGUFFiles.model(path, table: table).spec
    } catch let error as HFConfigReader.ReadError {
        throw CLIError(message: "\(path): \(error)")
    } catch let error as GGUFError {
        throw CLIError(message: "\(path): \(error)")
    } catch {
        throw CLIError(message: "\(path): \(error.localizedDescription)")
    }
}

/// A catalog id, or a file when one exists at that path (or the name ends in `.gguf`).
func resolveModel(_ name: String, catalog: ModelCatalog, table: QuantTable) throws -> ModelSpec {
    if name.hasSuffix(".gguf") || FileManager.default.fileExists(atPath: name) {
        return try modelSpec(fromFile: name, table: table)
    }
    if let spec = catalog.model(name) { return spec }
    let close = catalog.suggestions(for: name)
    throw CLIError(
        message: "unknown model '\(name)'" + (close.isEmpty ? "" : "; did you mean \(close.joined(separator: ", "))?")
            + " (canrun models lists them; a .gguf or config.json path works too)"
    )
}

import CanrunCore
import Foundation

/// Models already on this disk: Ollama's store (manifests → GGUF blobs), the Hugging Face hub
/// cache (`models--ORG--NAME/snapshots/*/`: config.json with safetensors, or GGUF files),
/// LM Studio's folder, and directories the user names (`CANRUN_MODEL_DIRS`, colon-separated).
/// Sizes are the files' real sizes; GGUF headers are read for the file type.
public enum LocalModels {
    public struct Model: Codable, Sendable, Equatable {
        /// `ollama`, `huggingface`, `lmstudio`, `directory`.
        public var source: String
        public var name: String
        /// The GGUF file (first part of a split) or the checkpoint folder.
        public var path: String
        /// `gguf` or `safetensors`.
        public var format: String
        /// All files of the model, bytes.
        public var bytes: Int64
        /// The GGUF file type (`Q4_K_M`) when the header says.
        public var quant: String?
    }

    public struct Roots: Sendable {
        public var ollama: [String]
        public var huggingFace: [String]
        public var lmStudio: [String]
        public var directories: [String]

        public init(ollama: [String], huggingFace: [String], lmStudio: [String], directories: [String]) {
            self.ollama = ollama
            self.huggingFace = huggingFace
            self.lmStudio = lmStudio
            self.directories = directories
        }

        /// Where each tool keeps its models by default, honouring their environment overrides.
        public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> Roots {
            let home = environment["HOME"] ?? NSHomeDirectory()
            let hfHome = environment["HF_HOME"] ?? home + "/.cache/huggingface"
            return Roots(
                ollama: [environment["OLLAMA_MODELS"] ?? home + "/.ollama/models", "/usr/share/ollama/.ollama/models"],
                huggingFace: [environment["HF_HUB_CACHE"] ?? hfHome + "/hub"],
                lmStudio: [home + "/.lmstudio/models", home + "/.cache/lm-studio/models"],
                directories: (environment["CANRUN_MODEL_DIRS"] ?? "").split(separator: ":").map(String.init)
            )
        }
    }

    public static func discover(_ roots: Roots, table: QuantTable) -> [Model] {
        var found: [Model] = []
        for root in roots.ollama { found += ollama(root, table: table) }
        for root in roots.huggingFace { found += huggingFace(root, table: table) }
        for root in roots.lmStudio { found += ggufFiles(under: root, source: "lmstudio", table: table, depth: 3) }
        for root in roots.directories { found += ggufFiles(under: root, source: "directory", table: table, depth: 4) }
        return found
    }

    private static let fm = FileManager.default

    /// `manifests/<registry>/<namespace>/<model>/<tag>` JSON whose model layer names a blob.
    static func ollama(_ root: String, table: QuantTable) -> [Model] {
        let manifests = root + "/manifests"
        guard let paths = fm.enumerator(atPath: manifests)?.allObjects as? [String] else { return [] }
        return paths.sorted().compactMap { relative -> Model? in
            let parts = relative.split(separator: "/")
            guard parts.count == 4,
                let bytes = try? SafeFile.bytes(manifests + "/" + relative, limit: .ollamaManifest),
                let json = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                let layers = json["layers"] as? [[String: Any]],
                let layer = layers.first(where: { ($0["mediaType"] as? String) == "application/vnd.ollama.image.model" }
                ),
                let digest = layer["digest"] as? String
            else { return nil }
            let blob = root + "/blobs/" + digest.replacingOccurrences(of: ":", with: "-")
            guard let bytes = size(blob) else { return nil }
            let namespace = parts[1] == "library" ? "" : parts[1] + "/"
            return Model(
                source: "ollama",
                name: "\(namespace)\(parts[2]):\(parts[3])",
                path: blob,
                format: "gguf",
                bytes: bytes,
                quant: try? GGUFFiles.model(blob, table: table).fileType
            )
        }
    }

    /// `models--ORG--NAME/snapshots/<revision>/`: a safetensors checkpoint or GGUF files.
    static func huggingFace(_ root: String, table: QuantTable) -> [Model] {
        guard let repos = try? fm.contentsOfDirectory(atPath: root) else { return [] }
        var found: [Model] = []
        for repo in repos.sorted() where repo.hasPrefix("models--") {
            let name = repo.dropFirst(8).replacingOccurrences(of: "--", with: "/")
            let snapshots = root + "/" + repo + "/snapshots"
            for revision in ((try? fm.contentsOfDirectory(atPath: snapshots)) ?? []).sorted() {
                let folder = snapshots + "/" + revision
                let files = (try? fm.contentsOfDirectory(atPath: folder)) ?? []
                let tensors = files.filter { $0.hasSuffix(".safetensors") }
                if files.contains("config.json"), !tensors.isEmpty {
                    let bytes = tensors.compactMap { size(folder + "/" + $0) }.reduce(0, +)
                    found.append(
                        Model(
                            source: "huggingface",
                            name: name,
                            path: folder,
                            format: "safetensors",
                            bytes: bytes,
                            quant: nil
                        )
                    )
                }
                found += ggufFiles(under: folder, source: "huggingface", table: table, depth: 1, name: name)
            }
        }
        return found
    }

    /// GGUF files below `root` (split models once, under their first part).
    static func ggufFiles(
        under root: String,
        source: String,
        table: QuantTable,
        depth: Int,
        name: String? = nil
    ) -> [Model] {
        guard let enumerator = fm.enumerator(atPath: root) else { return [] }
        var found: [Model] = []
        while let relative = enumerator.nextObject() as? String {
            if enumerator.level > depth { enumerator.skipDescendants() }
            guard relative.hasSuffix(".gguf") else { continue }
            let path = root + "/" + relative
            let parts = GGUFFiles.splitParts(of: path)
            guard parts.first == path else { continue }
            let bytes = parts.compactMap(size).reduce(0, +)
            let fileName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            found.append(
                Model(
                    source: source,
                    name: name.map { "\($0)/\(fileName)" } ?? fileName,
                    path: path,
                    format: "gguf",
                    bytes: bytes,
                    quant: try? GGUFFiles.model(path, table: table).fileType
                )
            )
        }
        return found.sorted { $0.path < $1.path }
    }

    /// The size of the file a path (or its symlink, as in the hub cache) names.
    static func size(_ path: String) -> Int64? {
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        guard let attributes = try? fm.attributesOfItem(atPath: resolved),
            (attributes[.type] as? FileAttributeType) == .typeRegular
        else { return nil }
        return (attributes[.size] as? NSNumber)?.int64Value
    }
}

import Foundation

/// Where a Hugging Face model's `config.json` is: the file itself or the checkpoint folder.
public enum HFConfigFile {
    /// The config.json `path` names (a `.json` file, or a folder holding `config.json`), or nil.
    public static func path(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return nil }
        if isDirectory.boolValue {
            let inside = path + "/config.json"
            return FileManager.default.fileExists(atPath: inside) ? inside : nil
        }
        return path.hasSuffix(".json") ? path : nil
    }

    /// The bytes of the config.json at `configPath` (as `path(_:)` found it): a regular file of
    /// at most `ReadLimit.modelConfig`, a link followed (the user named it; hub snapshots link
    /// their files into the blob store).
    public static func read(_ configPath: String) throws(FileError) -> Data {
        Data(try SafeFile.bytes(configPath, limit: .modelConfig, followingLastLink: true))
    }

    /// An id for the model: the repo name of a hub cache folder (`models--Qwen--Qwen3-8B` →
    /// `qwen3-8b`), else the file's own name (`gpt-oss-20b.config.json`), else its folder's.
    public static func id(_ configPath: String) -> String {
        let url = URL(fileURLWithPath: configPath)
        if let hub = url.pathComponents.last(where: { $0.hasPrefix("models--") }),
            let repo = hub.components(separatedBy: "--").last, !repo.isEmpty
        {
            return repo.lowercased()
        }
        let name = url.lastPathComponent
        if name != "config.json", name.hasSuffix(".json") {
            return String(name.dropLast(5)).replacingOccurrences(of: ".config", with: "").lowercased()
        }
        return url.deletingLastPathComponent().lastPathComponent.lowercased()
    }
}

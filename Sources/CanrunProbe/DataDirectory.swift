import CanrunCore
import Foundation

/// Finds canrun's shipped data (`gpus.toml`, later the model catalog): `$CANRUN_DATA_DIR`, the
/// installed `/usr/share/canrun` (or `<prefix>/share/canrun` beside the binary), or `config/`
/// of the source checkout the binary was built in.
public enum DataDirectory {
    public struct NotFound: Error, CustomStringConvertible {
        public var file: String
        public var searched: [String]
        public var description: String {
            "canrun's data file \(file) was not found (looked in \(searched.joined(separator: ", "))); set CANRUN_DATA_DIR to the folder holding it"
        }
    }

    public static func candidates(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var dirs: [String] = []
        if let override = environment["CANRUN_DATA_DIR"], !override.isEmpty { dirs.append(override) }
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        var folder = executable.deletingLastPathComponent()
        dirs.append(folder.deletingLastPathComponent().appendingPathComponent("share/canrun").path)
        dirs.append("/usr/share/canrun")
        for _ in 0..<5 {
            dirs.append(folder.appendingPathComponent("config").path)
            folder = folder.deletingLastPathComponent()
        }
        return dirs
    }

    public static func locate(
        _ file: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws
        -> String
    {
        let dirs = candidates(environment: environment)
        for dir in dirs where FileManager.default.fileExists(atPath: dir + "/" + file) { return dir + "/" + file }
        throw NotFound(file: file, searched: dirs)
    }

    /// The text of the first `file` found.
    private static func text(_ file: String, environment: [String: String]) throws -> String {
        try SafeFile.text(try locate(file, environment: environment), limit: .dataTable)
    }

    /// The GPU table, from the first `gpus.toml` found.
    public static func gpuTable(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> GPUTable
    {
        try GPUTable(toml: text("gpus.toml", environment: environment))
    }

    /// The fitted speed efficiencies, from the first `efficiency.toml` found.
    public static func efficiencyTable(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> EfficiencyTable {
        try EfficiencyTable(toml: text("efficiency.toml", environment: environment))
    }

    /// The reference machines of the first `presets.toml` found, their cards named from `gpus`.
    public static func presets(
        gpus: GPUTable,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> HardwarePresets {
        try HardwarePresets(toml: text("presets.toml", environment: environment), gpus: gpus)
    }
}

import CanrunCore
import Foundation

/// Where canrund's configuration lives (UAPI.6 layout, notes/daemon-and-systemd.md §3): the base
/// `canrun.toml` of the highest directory that has one, then every `canrun.toml.d/*.toml` of all
/// directories in file-name order (a same-named drop-in in a higher directory replaces the
/// lower; an empty one masks it). Missing files are fine: the defaults apply.
public enum ConfigFiles {
    /// Lowest precedence first.
    public static let systemDirectories = ["/usr/lib/canrun", "/etc/canrun"]

    /// The directories to read: `--config DIR` alone when given, else `$CONFIGURATION_DIRECTORY`
    /// (systemd's `ConfigurationDirectory=`) above the packaged defaults, else the system ones.
    public static func directories(option: String?, environment: [String: String]) -> [String] {
        if let option, !option.isEmpty { return [option] }
        if let configured = environment["CONFIGURATION_DIRECTORY"]?.split(separator: ":").first {
            return ["/usr/lib/canrun", String(configured)]
        }
        return systemDirectories
    }

    /// The files to merge, in order, with their text.
    public static func read(directories: [String]) throws -> [(path: String, text: String)] {
        let fm = FileManager.default
        var files: [(path: String, text: String)] = []
        if let base = directories.reversed().map({ $0 + "/canrun.toml" }).first(where: { fm.fileExists(atPath: $0) }) {
            files.append((base, try text(base)))
        }
        var dropIns: [String: String] = [:]
        for directory in directories {
            let folder = directory + "/canrun.toml.d"
            for name in (try? fm.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".toml") {
                dropIns[name] = folder + "/" + name
            }
        }
        for name in dropIns.keys.sorted() {
            let path = dropIns[name]!
            files.append((path, try text(path)))
        }
        return files
    }

    private static func text(_ path: String) throws -> String {
        do throws(FileError) {
            return try SafeFile.text(path, limit: .configFile)
        } catch {
            throw DaemonConfig.ConfigError(file: path, message: error.reason)
        }
    }

    /// Reads and merges the configuration of `directories`.
    public static func load(directories: [String]) throws -> DaemonConfig.Loaded {
        try DaemonConfig.merged(read(directories: directories))
    }
}

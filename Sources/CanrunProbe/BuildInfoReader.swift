import CanrunCore
import Foundation

/// Reads `BuildInfo` for this binary: the data folder `DataDirectory` answers from, its data
/// files' digest, and the commit from a `BUILD` file in that folder (written by an install) or
/// from the git checkout the folder is in (`config/` of the source tree).
public enum BuildInfoReader {
    /// The files canrun answers from (the example configuration and the Prometheus files are
    /// not data).
    static func isData(_ relative: String) -> Bool {
        relative.hasSuffix(".toml") && relative != "canrun.toml"
    }

    public static func read(environment: [String: String] = ProcessInfo.processInfo.environment) -> BuildInfo {
        var info = BuildInfo()
        guard let gpus = try? DataDirectory.locate("gpus.toml", environment: environment) else { return info }
        let folder = (gpus as NSString).deletingLastPathComponent
        info.dataFolder = folder
        var files: [(name: String, bytes: [UInt8])] = []
        for relative in ((try? FileManager.default.subpathsOfDirectory(atPath: folder)) ?? []).sorted()
        where isData(relative) {
            if let bytes = try? SafeFile.bytes(folder + "/" + relative, limit: .dataTable) {
                files.append((relative, bytes))
            }
        }
        info.data = BuildInfo.digest(files)
        info.dataFiles = files.count
        if let build = try? SafeFile.text(folder + "/BUILD", limit: .machineProfile) {
            for line in build.split(separator: "\n") where line.hasPrefix("commit ") {
                let commit = String(line.dropFirst("commit ".count))
                if BuildInfo.isCommit(commit) {
                    info.commit = commit
                    info.commitSource = "\(folder)/BUILD"
                }
            }
        }
        if info.commit == nil {
            let git = (folder as NSString).deletingLastPathComponent + "/.git"
            if let head = try? SafeFile.text(git + "/HEAD", limit: .machineProfile) {
                info.commit = BuildInfo.commit(
                    head: head,
                    ref: { try? SafeFile.text(git + "/" + $0, limit: .machineProfile) },
                    packedRefs: try? SafeFile.text(git + "/packed-refs", limit: .dataTable)
                )
                if info.commit != nil {
                    info.commitSource = "the checkout at \((folder as NSString).deletingLastPathComponent)"
                }
            }
        }
        return info
    }
}

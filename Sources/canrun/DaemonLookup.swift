import CanrunCore
import CanrunServer
import Foundation

/// This machine as canrund sees it (its probe as root, its measured bandwidth, memory free now),
/// when its socket answers; nil otherwise, and the caller probes here. Answers computed from it
/// are the daemon's own, byte for byte.
func machineFromDaemon(socket: String?) -> MachineProfile? {
    let environment = ProcessInfo.processInfo.environment
    guard let path = SocketPath.resolve(option: socket, environment: environment, uid: getuid()),
        FileManager.default.fileExists(atPath: path),
        let answer = DaemonClient(path: path).get("/v1/machine"), answer.status == 200
    else { return nil }
    return try? ProfileJSON.decoder().decode(MachineProfile.self, from: Data(answer.body))
}

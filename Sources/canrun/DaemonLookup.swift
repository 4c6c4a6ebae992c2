import ArgumentParser
import CanrunClient
import CanrunCore
import Foundation

/// How a command finds canrund: `--socket` (default `$CANRUN_SOCKET`, `/run/canrun/canrun.sock`
/// for root, `$XDG_RUNTIME_DIR/canrun.sock`) and `--no-daemon` to work here regardless.
struct DaemonOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "canrund's socket (default: $CANRUN_SOCKET; /run/canrun/canrun.sock for root; $XDG_RUNTIME_DIR/canrun.sock, else /run/canrun/canrun.sock, for others).",
            valueName: "PATH"
        )
    )
    var socket: String?

    @Flag(help: "Work here even when canrund answers (it probes as root and keeps the measured bandwidth).")
    var noDaemon = false

    /// The socket to try: `--socket` or the default for this user, else the system daemon's when
    /// this user's does not exist (`SocketPath.candidates`); nil with `--no-daemon`.
    var socketPath: String? {
        guard !noDaemon else { return nil }
        let candidates = SocketPath.candidates(
            option: socket,
            environment: ProcessInfo.processInfo.environment,
            uid: getuid()
        )
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates.first
    }

    static func socketPath(_ option: String?) -> String? {
        SocketPath.resolve(option: option, environment: ProcessInfo.processInfo.environment, uid: getuid())
    }

    /// A client for the daemon when its socket exists (it may still not answer).
    func client(timeoutSeconds: Int = 5) -> DaemonClient? {
        guard let path = socketPath, FileManager.default.fileExists(atPath: path) else { return nil }
        return DaemonClient(path: path, timeoutSeconds: timeoutSeconds)
    }

    /// This machine as canrund sees it (its probe as root, its measured bandwidth, memory free
    /// now), when its socket answers; nil otherwise, and the caller probes here. Answers computed
    /// from it are the daemon's own, byte for byte.
    func machine() -> MachineProfile? {
        guard let answer = client()?.get("/v1/machine"), answer.status == 200 else { return nil }
        return try? ProfileJSON.decoder().decode(MachineProfile.self, from: Data(answer.body))
    }

    /// canrund's calibration of its machine (`GET /v1/calibration`), which answers go with the
    /// machine `machine()` gave; nil when the daemon did not answer it.
    func calibration() -> CalibrationState? {
        guard let answer = client()?.get("/v1/calibration"), answer.status == 200 else { return nil }
        return try? ProfileJSON.decoder().decode(CalibrationState.self, from: Data(answer.body))
    }
}

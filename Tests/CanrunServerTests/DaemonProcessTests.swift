import CanrunClient
import CanrunServer
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The canrund binary itself, as systemd runs it: READY=1 and STOPPING=1 on a datagram socket
/// standing in for NOTIFY_SOCKET, a clean exit on SIGTERM (also mid-benchmark) that leaves no
/// socket file and no half-written cache, and a start past a corrupt state file. Needs the
/// binary built (`swift build --build-tests`, as CI does).
@Suite(.serialized)
struct DaemonProcessTests {
    static let binary = ServerFixtures.repository + "/.build/debug/canrund"

    /// A running daemon in a fresh folder with its notify socket.
    final class Running: @unchecked Sendable {
        let folder: String
        let process = Process()
        let notify: Int32
        var socketPath: String { folder + "/canrun.sock" }
        var state: String { folder + "/state" }

        init(corruptCache: Bool = false) throws {
            folder = NSTemporaryDirectory() + "canrund-proc-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true)
            if corruptCache {
                try Data("{ truncated".utf8).write(to: URL(fileURLWithPath: folder + "/state/bandwidth.json"))
            }
            notify = Glibc.socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            let path = folder + "/notify"
            _ = UnixSocketAddress.with(path) { bind(notify, $0, $1) }
            var timeout = timeval(tv_sec: 60, tv_usec: 0)
            setsockopt(notify, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            process.executableURL = URL(fileURLWithPath: DaemonProcessTests.binary)
            process.arguments = ["--socket", socketPath, "--config", folder + "/no-config"]
            var environment = ServerFixtures.environment
            environment["NOTIFY_SOCKET"] = path
            environment["STATE_DIRECTORY"] = state
            environment["PATH"] = ProcessInfo.processInfo.environment["PATH"]
            process.environment = environment
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        /// The next sd_notify datagram, or "" after a minute.
        func nextMessage() -> String {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = recv(notify, &buffer, buffer.count, 0)
            return n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self) : ""
        }

        func stop() -> Int32 {
            process.terminate()
            process.waitUntilExit()
            return process.terminationStatus
        }

        deinit {
            if process.isRunning { process.terminate() }
            close(notify)
            try? FileManager.default.removeItem(atPath: folder)
        }
    }

    static var built: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    @Test(.enabled(if: built))
    func readyThenStoppingThenAClean0() throws {
        let daemon = try Running()
        #expect(daemon.nextMessage() == "READY=1\nSTATUS=serving")
        #expect(DaemonClient(path: daemon.socketPath).get("/v1/health")?.status == 200)
        #expect(daemon.stop() == 0)
        #expect(daemon.nextMessage() == "STOPPING=1")
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    /// No cache: the benchmark starts in the background; SIGTERM stops it between passes, the
    /// daemon exits 0, and the state folder holds no partial file.
    @Test(.enabled(if: built))
    func sigtermMidBenchmarkExitsCleanly() throws {
        let daemon = try Running()
        #expect(daemon.nextMessage().hasPrefix("READY=1"))
        // The background task starts the benchmark just after READY: on a loaded machine health
        // may still say pending for a moment (CI saw it once).
        var body = ""
        let deadline = Date().addingTimeInterval(30)
        repeat {
            let health = DaemonClient(path: daemon.socketPath).get("/v1/health")
            body = String(decoding: health?.body ?? [], as: UTF8.self)
            if body.contains("\"running\"") { break }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        #expect(body.contains("\"running\""))
        let started = Date()
        #expect(daemon.stop() == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: daemon.state)) ?? [] == [])
    }

    @Test(.enabled(if: built))
    func aCorruptStateFileIsSurvived() throws {
        let daemon = try Running(corruptCache: true)
        #expect(daemon.nextMessage().hasPrefix("READY=1"))
        let health = DaemonClient(path: daemon.socketPath).get("/v1/health")
        #expect(health?.status == 200)
        #expect(daemon.stop() == 0)
    }
}

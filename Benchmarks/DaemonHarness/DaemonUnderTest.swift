import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A canrund process for the daemon benchmarks: started from the binary beside the benchmark's
/// own (`swift build -c release --product canrund`), in a fresh folder with its socket, its
/// state directory and a datagram socket standing in for systemd's NOTIFY_SOCKET; READY=1
/// awaited; its RSS and CPU time readable from /proc; stopped with SIGTERM.
public final class DaemonUnderTest: @unchecked Sendable {
    public let folder: String
    public let socketPath: String
    public let process = Process()
    /// Seconds from launch to READY=1.
    public private(set) var readySeconds = 0.0
    private let notify: Int32

    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - binary: canrund; default: beside this benchmark's executable.
    ///   - config: the text of its canrun.toml (in a folder of its own, `--config`).
    ///   - environment: more environment.
    public init(binary: String? = nil, config: String = "", environment extra: [String: String] = [:]) throws {
        let path =
            binary
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
                "canrund"
            ).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failed(description: "no canrund at \(path): swift build -c release --product canrund first")
        }
        folder = NSTemporaryDirectory() + "canrund-bench-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/config", withIntermediateDirectories: true)
        try config.write(toFile: folder + "/config/canrun.toml", atomically: true, encoding: .utf8)
        socketPath = folder + "/canrun.sock"
        let notifyPath = folder + "/notify"
        notify = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(notifyPath.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(notify, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        var timeout = timeval(tv_sec: 120, tv_usec: 0)
        setsockopt(notify, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--socket", socketPath, "--config", folder + "/config"]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notifyPath
        environment["STATE_DIRECTORY"] = folder + "/state"
        environment.merge(extra) { _, new in new }
        process.environment = environment
        process.standardError = FileHandle.nullDevice
        let launched = Date()
        try process.run()
        var buffer = [UInt8](repeating: 0, count: 512)
        while true {
            let n = recv(notify, &buffer, buffer.count, 0)
            guard n > 0 else { throw Failed(description: "canrund sent no READY=1 within 120 s") }
            if String(decoding: buffer.prefix(n), as: UTF8.self).hasPrefix("READY=1") { break }
        }
        readySeconds = Date().timeIntervalSince(launched)
    }

    public var pid: Int32 { process.processIdentifier }

    /// Resident memory now, KiB (`VmRSS`).
    public var rssKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        return line.flatMap { Int($0.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") }
    }

    /// CPU seconds (user + system) the daemon has used.
    public var cpuSeconds: Double { Self.cpuSeconds(pid) }

    /// CPU seconds (user + system) process `pid` has used (proc(5): utime and stime after the
    /// command's closing parenthesis).
    public static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// SIGTERM and the exit status.
    public func stop() -> Int32 {
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

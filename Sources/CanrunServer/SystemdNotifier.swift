import CanrunClient

#if canImport(Glibc)
import Glibc
#endif

/// `sd_notify(3)` without libsystemd: one datagram to `$NOTIFY_SOCKET` (a path, or `@name` in
/// the abstract namespace). Does nothing when the variable is unset (not run by systemd).
public struct SystemdNotifier: Sendable {
    public var socketPath: String?

    public init(environment: [String: String]) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The watchdog interval systemd expects a `WATCHDOG=1` within, in microseconds, when it
    /// asked for one for this process (`sd_watchdog_enabled(3)`).
    public static func watchdogMicroseconds(environment: [String: String], pid: Int32) -> UInt64? {
        guard let usec = environment["WATCHDOG_USEC"].flatMap({ UInt64($0) }), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"].flatMap({ Int32($0) }), owner != pid { return nil }
        return usec
    }

    /// Sends `message` (`READY=1`, `STOPPING=1`, `WATCHDOG=1`, `STATUS=…`); failures are ignored,
    /// as the man page advises. Returns whether the datagram went out. Never blocks: when the
    /// receiver does not read (its queue holds `net.unix.max_dgram_qlen` datagrams, 10 by
    /// default) the message is dropped, where a blocking send would hang a reload or the
    /// watchdog until someone reads.
    @discardableResult
    public func notify(_ message: String) -> Bool {
        guard let path = socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        let bytes = Array(message.utf8)
        let sent = UnixSocketAddress.with(path) {
            sendto(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT), $0, $1)
        }
        return sent == bytes.count
    }
}

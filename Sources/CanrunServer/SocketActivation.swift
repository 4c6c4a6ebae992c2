#if canImport(Glibc)
import Glibc
#endif

/// systemd socket activation (`sd_listen_fds(3)`) without libsystemd: the listening sockets a
/// `.socket` unit passed, fds `3 ..< 3 + LISTEN_FDS`, when `LISTEN_PID` is this process.
public enum SocketActivation {
    /// The first fd systemd passes (`SD_LISTEN_FDS_START`).
    public static let firstFD: CInt = 3

    /// The passed fds for `environment` seen by process `pid`; empty when the variables are
    /// missing, malformed, or meant for another process (a parent that did not unset them).
    public static func listenFDs(environment: [String: String], pid: Int32) -> [CInt] {
        guard let target = environment["LISTEN_PID"].flatMap({ Int32($0) }), target == pid,
            let count = environment["LISTEN_FDS"].flatMap({ CInt($0) }), count > 0, count < 1024
        else { return [] }
        return Array(firstFD..<(firstFD + count))
    }

    /// The passed fds of this process, marked close-on-exec as `sd_listen_fds` does, so helper
    /// processes never inherit the listener.
    public static func inherited(environment: [String: String]) -> [CInt] {
        let fds = listenFDs(environment: environment, pid: getpid())
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }
}

import CanrunClient
import Foundation
import Logging
import Synchronization
import Testing

@testable import CanrunServer

#if canImport(Glibc)
import Glibc
#endif

/// Socket activation, sd_notify, the socket path and journald lines, fed recorded environments.
struct SystemdGlueTests {
    struct ListenCase: Sendable {
        var environment: [String: String]
        var expected: [CInt]
    }

    static let listenCases: [ListenCase] = [
        .init(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "1"], expected: [3]),
        .init(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "2"], expected: [3, 4]),
        .init(environment: ["LISTEN_PID": "41", "LISTEN_FDS": "1"], expected: []),
        .init(environment: ["LISTEN_FDS": "1"], expected: []),
        .init(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "0"], expected: []),
        .init(environment: ["LISTEN_PID": "42", "LISTEN_FDS": "many"], expected: []),
        .init(environment: [:], expected: []),
    ]

    /// `sd_listen_fds(3)`: fds from 3, only for the process LISTEN_PID names.
    @Test(arguments: listenCases)
    func listenFDs(_ c: ListenCase) {
        #expect(SocketActivation.listenFDs(environment: c.environment, pid: 42) == c.expected)
    }

    struct PathCase: Sendable {
        var option: String?
        var environment: [String: String]
        var uid: UInt32
        var expected: String?
    }

    static let pathCases: [PathCase] = [
        .init(option: "/x.sock", environment: ["CANRUN_SOCKET": "/y.sock"], uid: 0, expected: "/x.sock"),
        .init(option: nil, environment: ["CANRUN_SOCKET": "/y.sock"], uid: 0, expected: "/y.sock"),
        .init(
            option: nil,
            environment: ["XDG_RUNTIME_DIR": "/run/user/1000"],
            uid: 0,
            expected: "/run/canrun/canrun.sock"
        ),
        .init(
            option: nil,
            environment: ["XDG_RUNTIME_DIR": "/run/user/1000"],
            uid: 1000,
            expected: "/run/user/1000/canrun.sock"
        ),
        .init(option: nil, environment: [:], uid: 1000, expected: nil),
    ]

    /// DESIGN §1's socket path order.
    @Test(arguments: pathCases)
    func socketPath(_ c: PathCase) {
        #expect(SocketPath.resolve(option: c.option, environment: c.environment, uid: c.uid) == c.expected)
    }

    /// The CLI also looks at the system daemon's socket when the user named none.
    @Test func theCLIFallsBackToTheSystemSocket() {
        let user = ["XDG_RUNTIME_DIR": "/run/user/1000"]
        #expect(
            SocketPath.candidates(option: nil, environment: user, uid: 1000)
                == ["/run/user/1000/canrun.sock", "/run/canrun/canrun.sock"]
        )
        #expect(SocketPath.candidates(option: nil, environment: [:], uid: 1000) == ["/run/canrun/canrun.sock"])
        #expect(SocketPath.candidates(option: nil, environment: [:], uid: 0) == ["/run/canrun/canrun.sock"])
        #expect(SocketPath.candidates(option: "/tmp/x.sock", environment: user, uid: 1000) == ["/tmp/x.sock"])
        #expect(SocketPath.candidates(option: nil, environment: ["CANRUN_SOCKET": "/s"], uid: 1000) == ["/s"])
    }

    @Test func watchdogOnlyForThisProcess() {
        #expect(SystemdNotifier.watchdogMicroseconds(environment: ["WATCHDOG_USEC": "30000000"], pid: 7) == 30_000_000)
        #expect(
            SystemdNotifier.watchdogMicroseconds(
                environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "8"],
                pid: 7
            )
                == nil
        )
        #expect(SystemdNotifier.watchdogMicroseconds(environment: [:], pid: 7) == nil)
    }

    /// READY=1 arrives on a datagram socket the way systemd's NOTIFY_SOCKET receives it, at a
    /// path and in the abstract namespace.
    @Test(arguments: [false, true])
    func notifyReachesADatagramSocket(abstract: Bool) throws {
        let name =
            abstract ? "@canrun-test-\(UUID().uuidString.prefix(8))" : NSTemporaryDirectory() + "n-\(UUID()).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        #expect(fd >= 0)
        defer {
            close(fd)
            if !abstract { unlink(name) }
        }
        // Built by hand, not with UnixSocketAddress: the receiving end must not share the
        // encoding under test (a wrong abstract-name length would then meet itself).
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        if abstract { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + (abstract ? 0 : 1))
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        #expect(bound == 0)
        #expect(SystemdNotifier(environment: ["NOTIFY_SOCKET": name]).notify("READY=1\nSTATUS=serving"))
        var buffer = [UInt8](repeating: 0, count: 256)
        let got = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(got > 0)
        #expect(String(decoding: buffer.prefix(max(0, got)), as: UTF8.self) == "READY=1\nSTATUS=serving")
    }

    /// A receiver that stops reading (a full datagram queue) costs notifications, never a hang:
    /// a blocking send once held canrund's reload forever under a test harness that read only
    /// READY=1.
    @Test func notifyNeverBlocksOnAReceiverThatDoesNotRead() throws {
        let name = NSTemporaryDirectory() + "n-\(UUID()).sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer {
            close(fd)
            unlink(name)
        }
        let bound = UnixSocketAddress.with(name) { bind(fd, $0, $1) }
        #expect(bound == 0)
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": name])
        let finished = DispatchSemaphore(value: 0)
        let delivered = Mutex(0)
        // More datagrams than any queue length a machine is set to (net.unix.max_dgram_qlen).
        Thread {
            for _ in 0..<2000 where notifier.notify("RELOADING=1") { delivered.withLock { $0 += 1 } }
            finished.signal()
        }.start()
        #expect(finished.wait(timeout: .now() + 10) == .success)
        // The queue takes max_dgram_qlen (+1, the kernel's test is "more than"); the rest dropped.
        let queue = (try? String(contentsOfFile: "/proc/sys/net/unix/max_dgram_qlen", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let sent = delivered.withLock { $0 }
        #expect(sent >= 1)
        if let queue, queue < 1000 { #expect(sent <= queue + 1) }
    }

    @Test func notifyWithoutSystemdIsANoOp() {
        #expect(!SystemdNotifier(environment: [:]).notify("READY=1"))
    }

    @Test func journalLines() {
        #expect(
            JournalLogHandler.line(level: .warning, message: "cache\ncorrupt", metadata: ["path": "/x"])
                == "<4>cache\\ncorrupt path=/x\n"
        )
        #expect(JournalLogHandler.line(level: .info, message: "listening", metadata: [:]) == "<6>listening\n")
        #expect(JournalLogHandler.priority(.critical) == 2)
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:2"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
    }
}

/// How the command line reads the daemon's raw answer.
struct DaemonClientParseTests {
    @Test func aCompleteAnswer() {
        let raw = Array("HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}".utf8)
        #expect(DaemonClient.parse(raw) == .init(status: 404, body: Array("{}".utf8)))
    }

    @Test(arguments: [
        "", "garbage", "HTTP/1.1 200 OK\r\n", "SPDY/3 200 OK\r\n\r\n{}",
        "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
    ])
    func notAnAnswer(_ raw: String) {
        #expect(DaemonClient.parse(Array(raw.utf8)) == nil)
    }
}

/// Hotplug noticed from sysfs: the signature changes with a device, a CPU or memory.
struct HardwareWatchTests {
    @Test func signatureFollowsTheHardware() {
        let base = HardwareWatch.signature(
            pciDevices: ["0000:00:01.0", "0000:01:00.0"],
            cpusOnline: "0-1\n",
            memTotalBytes: 1 << 34
        )
        #expect(
            base
                == HardwareWatch.signature(
                    pciDevices: ["0000:01:00.0", "0000:00:01.0"],
                    cpusOnline: "0-1",
                    memTotalBytes: 1 << 34
                )
        )
        #expect(
            base != HardwareWatch.signature(pciDevices: ["0000:00:01.0"], cpusOnline: "0-1", memTotalBytes: 1 << 34)
        )
        #expect(
            base
                != HardwareWatch.signature(
                    pciDevices: ["0000:00:01.0", "0000:01:00.0"],
                    cpusOnline: "0",
                    memTotalBytes: 1 << 34
                )
        )
        #expect(
            base
                != HardwareWatch.signature(
                    pciDevices: ["0000:00:01.0", "0000:01:00.0"],
                    cpusOnline: "0-1",
                    memTotalBytes: 1 << 35
                )
        )
    }

    @Test func aRecordedRootIsRead() throws {
        let root = NSTemporaryDirectory() + "canrun-hw-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(
            atPath: root + "/sys/bus/pci/devices/0000:01:00.0",
            withIntermediateDirectories: true
        )
        try FileManager.default.createDirectory(
            atPath: root + "/sys/devices/system/cpu",
            withIntermediateDirectories: true
        )
        try FileManager.default.createDirectory(atPath: root + "/proc", withIntermediateDirectories: true)
        try "0-3\n".write(toFile: root + "/sys/devices/system/cpu/online", atomically: true, encoding: .utf8)
        try "MemTotal:       16384 kB\n".write(toFile: root + "/proc/meminfo", atomically: true, encoding: .utf8)
        #expect(HardwareWatch.read(root: root) == "pci=0000:01:00.0|cpus=0-3|mem=16777216")
    }
}

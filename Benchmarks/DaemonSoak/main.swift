// canrund under a long mixed load (issue 11's soak): 64 clients sending normal and hostile
// requests, an admin reload every 10 s, one peer (the loopback TCP listener, one peer to the
// daemon) holding its whole share of connections, and one well-behaved client timing a fit
// every 10 ms. Prints requests served, outcomes by kind, the well-behaved client's latency,
// and the daemon's RSS slope.
//   swift build -c release --product canrund && swift build -c release --product DaemonSoak &&
//   .build/release/DaemonSoak [seconds=1800] [clients=64] [pause-ms=20]
// Targets: no crash; p99 of the well-behaved client < 5 ms; RSS slope < 1 MB per 10 minutes.
import CanrunClient
import DaemonHarness
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst().map { Double($0) }
let seconds = arguments.first.flatMap { $0 } ?? 1800
let clientCount = arguments.dropFirst().first.flatMap { $0 }.map { Int($0) } ?? 64
let pauseMicroseconds = UInt32((arguments.dropFirst(2).first.flatMap { $0 } ?? 20) * 1000)
let port = UInt16(20000 + getpid() % 20000)
let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

let hostileBodies: [[UInt8]] = {
    let folder = repository + "/Tests/Fixtures/fuzz/config-json"
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
        $0.hasPrefix("issue11-")
    }
    return names.sorted().compactMap { FileManager.default.contents(atPath: folder + "/" + $0).map { Array($0) } }
}()
guard !hostileBodies.isEmpty else {
    say("no hostile bodies in Tests/Fixtures/fuzz/config-json: run from the repository's build")
    exit(1)
}
// No bandwidth benchmark: its threads and buffers would blur the RSS slope.
let daemon = try DaemonUnderTest(config: "[benchmark]\non_start = false\n[server]\ntcp = \"127.0.0.1:\(port)\"\n")
let socketPath = daemon.socketPath
let soak = Soak(
    socketPath: socketPath,
    port: port,
    end: now() + seconds,
    pauseMicroseconds: pauseMicroseconds,
    hostileBodies: hostileBodies
)
let tally = soak.tally
let start = now()
let end = soak.end
say(
    String(
        format: "soak: %.0f s, %d clients (a request every %d ms each), canrund pid %d ready in %.0f ms",
        seconds,
        clientCount,
        pauseMicroseconds / 1000,
        daemon.pid,
        daemon.readySeconds * 1e3
    )
)

let finished = DispatchGroup()
func launch(_ name: String, _ body: @escaping @Sendable () -> Void) {
    finished.enter()
    let thread = Thread {
        body()
        finished.leave()
    }
    thread.name = name
    thread.stackSize = 1 << 20
    thread.start()
}
for i in 0..<clientCount { launch("client-\(i)") { soak.clientLoop(i) } }
launch("well-behaved") { soak.wellBehavedLoop() }
launch("hog") { soak.hogLoop() }

// Reloads every 10 s, RSS every 10 s, progress every minute, on this thread.
var rss: [(t: Double, kib: Int)] = []
var reloads = (ok: 0, failed: 0)
let cpuAtStart = daemon.cpuSeconds
var nextReport = start + 60
while now() < end {
    let t = now()
    if DaemonClient(path: socketPath, timeoutSeconds: 30).request("POST", "/v1/admin/reload")?.status == 200 {
        reloads.ok += 1
    } else {
        reloads.failed += 1
    }
    if !daemon.process.isRunning { break }
    rss.append((t - start, daemon.rssKiB ?? 0))
    if t >= nextReport {
        nextReport += 60
        say(
            String(
                format: "  %4.0f s: %d requests, RSS %.1f MiB, %d reloads",
                t - start,
                tally.total,
                Double(rss.last?.kib ?? 0) / 1024,
                reloads.ok
            )
        )
    }
    let wait = min(10, end - now())
    if wait > 0 { usleep(UInt32(wait * 1e6)) }
}
finished.wait()
let elapsed = now() - start
let alive = daemon.process.isRunning
let cpu = daemon.cpuSeconds - cpuAtStart

say("\n== outcomes (requests and connections by kind)")
for (key, count) in tally.snapshot.sorted(by: { $0.key < $1.key }) { say(String(format: "  %10d  ", count) + key) }
say(
    String(
        format:
            "served %d requests in %.0f s (%.0f/s); reloads: %d ok, %d failed; canrund CPU %.0f s (%.0f%% of a core)",
        tally.total,
        elapsed,
        Double(tally.total) / elapsed,
        reloads.ok,
        reloads.failed,
        cpu,
        100 * cpu / elapsed
    )
)

let latencies = soak.wellBehaved.sorted
func percentile(_ p: Double) -> Double {
    latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
}
say(
    String(
        format:
            "well-behaved client: %d fits, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.1f ms (target p99 < 5 ms); failures: %@",
        latencies.count,
        percentile(0.5) / 1e3,
        percentile(0.99) / 1e3,
        percentile(0.999) / 1e3,
        (latencies.last ?? .nan) / 1e3,
        soak.wellBehavedFailures.snapshot.description
    )
)

// RSS slope by least squares after the warm-up (allocator pools, caches and NIO buffers fill
// in the first minutes).
let warmUp = min(120, seconds / 5)
let steady = rss.filter { $0.t >= warmUp }
if steady.count >= 3 {
    let n = Double(steady.count)
    let mt = steady.map(\.t).reduce(0, +) / n
    let mr = steady.map { Double($0.kib) }.reduce(0, +) / n
    let slope =
        steady.map { ($0.t - mt) * (Double($0.kib) - mr) }.reduce(0, +)
        / steady.map { ($0.t - mt) * ($0.t - mt) }.reduce(0, +)
    say(
        String(
            format:
                "RSS: %.1f MiB at %.0f s, %.1f MiB at the end (peak %.1f); slope %.3f MB per 10 minutes after %.0f s (target < 1 MB)",
            Double(steady.first!.kib) / 1024,
            steady.first!.t,
            Double(steady.last!.kib) / 1024,
            Double(rss.map(\.kib).max() ?? 0) / 1024,
            slope * 1024 * 600 / 1e6,
            warmUp
        )
    )
}
say(alive ? "canrund ran throughout; exit status after SIGTERM: \(daemon.stop())" : "CANRUND DIED during the soak")
exit(alive ? 0 : 1)

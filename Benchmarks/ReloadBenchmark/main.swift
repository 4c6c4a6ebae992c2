// canrund's memory across reloads: 1,000 `POST /v1/admin/reload` (each re-reads the
// configuration, the catalog and the data files and re-probes the machine), RSS before and after.
//   swift build -c release --product canrund && swift build -c release --product ReloadBenchmark &&
//   .build/release/ReloadBenchmark [reloads]
// Target (issue 11): RSS flat within 2 MB over 1,000 reloads (it grew ~1.5 MB a reload before:
// TOMLKit never frees a parse; see TOMLDocument).
import CanrunClient
import DaemonHarness
import Foundation

/// A line on standard output at once (a pipe would hold it until the end).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let reloads = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 1000
// No bandwidth benchmark: its threads and buffers would blur what the reloads do to memory.
let daemon = try DaemonUnderTest(config: "[benchmark]\non_start = false\n")
let client = DaemonClient(path: daemon.socketPath, timeoutSeconds: 30)
func reload() -> Bool { client.request("POST", "/v1/admin/reload")?.status == 200 }

// Warm-up: the first reloads fill the allocator's pools, caches and NIO's buffers.
for _ in 0..<20 { _ = reload() }
let before = daemon.rssKiB ?? 0
var failed = 0
let started = Date()
var samples: [(Int, Int)] = []
for i in 1...reloads {
    if !reload() { failed += 1 }
    if i % max(1, reloads / 10) == 0 {
        samples.append((i, daemon.rssKiB ?? 0))
        say(String(format: "after %5d reloads: RSS %.1f MiB", i, Double(samples.last!.1) / 1024))
    }
}
let elapsed = Date().timeIntervalSince(started)
let after = daemon.rssKiB ?? 0
say(
    String(
        format: "%d reloads (%d failed) in %.1f s, %.1f ms each; RSS %.1f -> %.1f MiB, growth %.2f MiB (target < 2 MB)",
        reloads,
        failed,
        elapsed,
        elapsed / Double(reloads) * 1e3,
        Double(before) / 1024,
        Double(after) / 1024,
        Double(after - before) / 1024
    )
)
say("canrund exit status after SIGTERM: \(daemon.stop())")

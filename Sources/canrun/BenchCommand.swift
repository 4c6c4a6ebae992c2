import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation
import Synchronization

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure memory bandwidth per NUMA node with canrun's streaming kernels.",
        discussion: """
            Runs read, copy and triad kernels (STREAM byte counting: 8, 16 and 24 bytes per element; \
            non-temporal stores) on one pinned thread per core, with buffers at least 4× the \
            last-level cache placed on the node under test. Each kernel repeats until its passes \
            agree within 2% or its time budget ends; the best pass is reported, with the median. \
            The result is cached in the user's state directory and used by the fit answers. \
            Ctrl-C stops it cleanly at any point.

            Examples:
              canrun bench                 # about 8 s
              canrun bench --quick --json  # about 2.5 s, all cores only
              canrun bench --threads 1 --kernel read
            """
    )

    @Flag(help: "Print the BandwidthReport as JSON (GET /v1/bandwidth).")
    var json = false

    @Flag(help: "All cores only, no per-node runs, a 2.5 s budget.")
    var quick = false

    @Option(help: "Threads for the all-cores run (the first N cores).")
    var threads: Int?

    @Option(
        name: .customLong("buffer-mib"),
        help: "MiB per array per thread (default: 4× the last-level cache in all)."
    )
    var bufferMiB: Int?

    @Option(name: .customLong("kernel"), help: "Kernels to run: read, copy, triad (repeatable; default all).")
    var kernels: [StreamKernel] = []

    @Option(help: ArgumentHelp("Total time budget in seconds.", valueName: "seconds"))
    var budget: Double?

    @Flag(help: "Run at the lowest CPU priority (nice 19), for background measurements.")
    var background = false

    @Flag(
        help:
            "Forget this user's earlier measurements (their history and any reading taken under load) before measuring."
    )
    var reset = false

    @OptionGroup var daemon: DaemonOptions

    mutating func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let bufferMiB, bufferMiB < 2 { throw ValidationError("--buffer-mib must be at least 2") }
        if let budget, !(0.2...600).contains(budget) { throw ValidationError("--budget must be 0.2 to 600 seconds") }
    }

    func run() throws {
        try reportingCLIErrors(measure)
    }

    /// The daemon's own re-measurement (what every client then answers from), when it runs,
    /// the default options were asked for, and it lets this user; nil: measure here.
    private func measuredByDaemon() -> BandwidthReport? {
        guard !quick, threads == nil, bufferMiB == nil, kernels.isEmpty, budget == nil, !background,
            let answer = daemon.client(timeoutSeconds: 120)?.request("POST", "/v1/bandwidth")
        else { return nil }
        guard answer.status == 200 else {
            if !json {
                FileHandle.standardError.write(
                    Data(
                        "canrund did not measure (HTTP \(answer.status): root or its user only); measuring here\n".utf8
                    )
                )
            }
            return nil
        }
        return try? ProfileJSON.decoder().decode(BandwidthReport.self, from: Data(answer.body))
    }

    private func measure() throws {
        if let report = measuredByDaemon() {
            if json {
                print(String(decoding: try ProfileJSON.encoder().encode(report), as: UTF8.self))
            } else {
                print(BandwidthText.render(report, channels: nil))
                print("measured by canrund (its answers use it now)")
            }
            return
        }
        if reset {
            let cache = BandwidthCache(directory: BandwidthCache.userStateDirectory())
            do {
                try cache.reset()
            } catch {
                throw CLIError(message: "could not forget the earlier measurements at \(cache.path): \(error)")
            }
        }
        if background { _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19) }
        let table = (try? DataDirectory.gpuTable()) ?? GPUTable(entries: [])
        let (readings, _) = MachineProbe.probe(MachineProbe.Options(nvmlLibrary: nil, includePCI: false))
        let profile = ProfileAssembler.assemble(readings, gpuTable: table)
        guard let topology = readings.topology else {
            throw CLIError(message: "the CPU topology is unknown (hwloc failed), so threads cannot be placed")
        }
        let options = BandwidthPlan.Options(
            threads: threads,
            bytesPerArray: bufferMiB.map { Int64($0) << 20 },
            kernels: kernels.isEmpty ? StreamKernel.allCases : kernels,
            budgetSeconds: budget ?? (quick ? 2.5 : 7),
            quick: quick,
            quietWaitSeconds: background ? 0 : 4
        )
        InterruptHandlers.install()
        let display = ProgressDisplay(enabled: !json && isatty(STDERR_FILENO) == 1)
        let report: BandwidthReport
        do {
            report = try BandwidthBenchmark.measure(
                profile: profile,
                topology: topology,
                options: options,
                progress: display.show,
                isCancelled: { InterruptHandlers.requested }
            )
        } catch BenchmarkError.cancelled {
            display.clear()
            FileHandle.standardError.write(Data("canrun: bandwidth benchmark cancelled; nothing was kept\n".utf8))
            throw ExitCode(130)
        } catch let error as BandwidthPlan.PlanError {
            throw CLIError(message: error.description)
        }
        display.clear()
        let cache = BandwidthCache(directory: BandwidthCache.userStateDirectory())
        var cacheNote: String?
        var shown = report
        // Fits read the all-core read rate: a run with fewer threads, another buffer or without
        // the read kernel answers another question, and is printed, not kept.
        if threads != nil || bufferMiB != nil || !(kernels.isEmpty || kernels.contains(.read)) {
            cacheNote = "not cached (--threads, --buffer-mib or --kernel): fits keep the last all-core measurement"
        } else {
            do {
                shown = try cache.store(report)
            } catch {
                cacheNote = "could not cache the result at \(cache.path): \(error.localizedDescription)"
            }
        }
        if json {
            print(String(decoding: try ProfileJSON.encoder().encode(shown), as: UTF8.self))
            if let cacheNote { FileHandle.standardError.write(Data("canrun: \(cacheNote)\n".utf8)) }
        } else {
            print(BandwidthText.render(shown, channels: profile.memory.channelsPopulated))
            if let cacheNote { print(cacheNote) }
        }
    }
}

extension StreamKernel: ExpressibleByArgument {}

/// Set by SIGINT/SIGTERM, polled between benchmark passes, so the workers are joined and their
/// memory freed instead of the process dying mid-pass. A lock-free atomic store is
/// async-signal-safe.
let interruptRequested = Atomic<Bool>(false)

enum InterruptHandlers {
    static func install() {
        _ = interruptRequested.load(ordering: .relaxed)  // initialise the global before any signal
        for number in [SIGINT, SIGTERM] {
            _ = signal(number) { _ in
                interruptRequested.store(true, ordering: .relaxed)
                BandwidthBenchmark.interrupt()
            }
        }
    }

    static var requested: Bool { interruptRequested.load(ordering: .relaxed) }
}

/// One self-overwriting status line on a terminal's stderr.
struct ProgressDisplay {
    let enabled: Bool

    func show(_ progress: BandwidthBenchmark.Progress) {
        guard enabled else { return }
        let rate = progress.lastRateBytesPerS.map { ProfileText.rate(Int64($0)) } ?? ""
        let percent = Int(progress.fraction * 100)
        FileHandle.standardError.write(
            Data("\r\u{1B}[K[\(percent)%] \(progress.run) \(progress.kernel.rawValue) \(rate)".utf8)
        )
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}

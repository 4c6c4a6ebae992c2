import CanrunCore
import CanrunProbe
import CanrunShims
import Foundation
import Testing

@testable import CanrunBench

/// The benchmark on this machine with a small budget: sanity, not speed (speed is compared with
/// likwid in Benchmarks/, side by side, never in a test).
@Suite(.serialized)
struct BandwidthBenchmarkTests {
    static func machine() throws -> (MachineProfile, TopologyFacts) {
        let (readings, _) = MachineProbe.probe(.init(nvmlLibrary: nil, includePCI: false))
        let profile = ProfileAssembler.assemble(readings, gpuTable: GPUTable(entries: []))
        return (profile, try #require(readings.topology))
    }

    /// The benchmark's worker threads alive in this process, by thread id (they carry
    /// `canrun-bench`). Other tests running meanwhile (the daemon's, in this same process) may
    /// start benchmark teams of their own, so a test follows the ids it saw, not a count.
    static var teamThreads: Set<String> {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return Set(
            tasks.filter { task in
                let comm = FileManager.default.contents(atPath: "/proc/self/task/\(task)/comm") ?? Data()
                return String(decoding: comm, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    == CANRUN_TEAM_THREAD_NAME
            }
        )
    }

    @Test func smallMeasurementIsSaneAndRoundTrips() throws {
        let (profile, topology) = try Self.machine()
        // STREAM counts copy's two streams and triad's three: per stream, neither outruns read
        // by more than noise. Other tests load this machine meanwhile, and a read measured in a
        // busy moment can fall behind; a miscounted stream would fail every attempt.
        func sane(_ r: BandwidthReport) -> Bool {
            Double(r.total.copyBytesPerS) / 2 < Double(r.total.readBytesPerS) * 1.25
                && Double(r.total.triadBytesPerS) / 3 < Double(r.total.readBytesPerS) * 1.25
        }
        var attempts: [BandwidthReport] = []
        repeat {
            attempts.append(
                try BandwidthBenchmark.measure(
                    profile: profile,
                    topology: topology,
                    options: .init(bytesPerArray: 32 << 20, budgetSeconds: 0.6, quick: true)
                )
            )
        } while !sane(attempts.last!) && attempts.count < 3
        let report = attempts.last!
        #expect(report.total.readBytesPerS > 0)
        #expect(report.total.copyBytesPerS > 0)
        #expect(report.total.triadBytesPerS > 0)
        #expect(sane(report), "per-stream copy or triad above read in \(attempts.count) measurements")
        #expect(
            report.runs.first?.kernels.allSatisfy { $0.statistics.medianBytesPerS <= $0.statistics.bestBytesPerS }
                == true
        )
        #expect(report.fingerprint == HardwareFingerprint.of(profile))
        let decoded = try ProfileJSON.decoder().decode(
            BandwidthReport.self,
            from: try ProfileJSON.encoder().encode(report)
        )
        #expect(decoded.total == report.total)
        #expect(decoded.runs == report.runs)
    }

    /// A run of one kernel holds only the arrays that kernel streams (1, 2 or 3).
    @Test(arguments: StreamKernel.allCases)
    func eachKernelRunsAlone(_ kernel: StreamKernel) throws {
        let (profile, topology) = try Self.machine()
        let report = try BandwidthBenchmark.measure(
            profile: profile,
            topology: topology,
            options: .init(threads: 1, bytesPerArray: 16 << 20, kernels: [kernel], budgetSeconds: 0.3, quick: true)
        )
        #expect(report.runs.first?.kernels.map(\.kernel) == [kernel])
        #expect(report.runs.first?.best(kernel) ?? 0 > 0)
    }

    /// Cancelled between passes: the error says so, and no worker thread outlives the run.
    @Test func cancellationJoinsEveryWorker() throws {
        let (profile, topology) = try Self.machine()
        let before = Self.teamThreads
        var polls = 0
        var during: Set<String> = []
        #expect(throws: BenchmarkError.cancelled) {
            try BandwidthBenchmark.measure(
                profile: profile,
                topology: topology,
                options: .init(bytesPerArray: 8 << 20, budgetSeconds: 5, quick: true),
                isCancelled: {
                    polls += 1
                    during.formUnion(Self.teamThreads.subtracting(before))
                    return polls > 4
                }
            )
        }
        // This run's workers were there, by name, and are gone.
        #expect(!during.isEmpty)
        #expect(Self.teamThreads.isDisjoint(with: during))
    }

    /// A two-thread measurement with these headline rates, as a cache stores it.
    static func measured(
        read: Int64,
        copy: Int64 = 0,
        triad: Int64 = 0,
        at seconds: Double,
        fingerprint: String = "a"
    ) -> BandwidthReport {
        BandwidthReport(
            threads: 2,
            bufferBytes: 1 << 20,
            durationS: 1,
            nodes: [],
            total: .init(readBytesPerS: read, copyBytesPerS: copy, triadBytesPerS: triad),
            crossNode: nil,
            measuredAt: Date(timeIntervalSince1970: seconds),
            kernelIsa: "avx2",
            stable: true,
            runs: [],
            theoreticalPeakBytesPerS: nil,
            fractionOfPeak: nil,
            fingerprint: fingerprint,
            notes: []
        )
    }

    /// The bounds of a two-thread machine of unknown peak (400 GB/s).
    static let twoThreads = BandwidthPlausibility(peak: nil, threads: 2)

    /// A cache in a fresh temporary folder, and the folder to remove.
    static func temporaryCache() -> (BandwidthCache, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-cache-\(UUID())").path
        return (BandwidthCache(directory: folder), folder)
    }

    @Test func cacheKeepsOnlyThisHardwaresMeasurement() throws {
        let (cache, folder) = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(cache.load(fingerprint: "a", plausibility: Self.twoThreads) == .miss(reason: "no cached measurement"))
        let report = Self.measured(read: 3, copy: 4, triad: 5, at: 1_800_000_000)
        try cache.store(report)
        #expect(cache.load(fingerprint: "a", plausibility: Self.twoThreads) == .hit(report))
        guard case .miss(let reason) = cache.load(fingerprint: "b", plausibility: Self.twoThreads) else {
            Issue.record("a foreign fingerprint must miss")
            return
        }
        #expect(reason.contains("other hardware"))
        try Data("{ not json".utf8).write(to: URL(fileURLWithPath: cache.path))
        guard case .miss(let corrupt) = cache.load(fingerprint: "a", plausibility: Self.twoThreads) else {
            Issue.record("a corrupt cache must miss")
            return
        }
        #expect(corrupt.contains("corrupt"))
    }

    /// Each measurement of the same hardware keeps the ones before it (at most 7 of them); a
    /// measurement of other hardware starts anew. The 2-vCPU development VM read 35.1 GB/s and
    /// 60.9 GB/s in two runs a quarter of an hour apart (Benchmarks/llama-cpp-check/RESULTS.md): said.
    @Test func cacheKeepsEarlierReadsOfTheSameHardware() throws {
        let (cache, folder) = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        func measured(_ read: Int64, at seconds: Double, fingerprint: String = "a") -> BandwidthReport {
            Self.measured(read: read, at: seconds, fingerprint: fingerprint)
        }
        let first = try cache.store(measured(35_130_716_513, at: 0))
        #expect(first.earlierReads == nil)
        #expect(first.unsteadyNote == nil)
        let second = try cache.store(measured(60_867_985_720, at: 3600))
        #expect(
            second.earlierReads == [.init(measuredAt: Date(timeIntervalSince1970: 0), readBytesPerS: 35_130_716_513)]
        )
        #expect(cache.load(fingerprint: "a", plausibility: Self.twoThreads) == .hit(second))
        #expect(
            second.unsteadyNote
                == "this machine's measured read bandwidth moved between 35.1 GB/s and 60.9 GB/s over its last 2 measurements (shared or virtual hardware?): memory-bound speeds move with it; this answer uses the latest, 60.9 GB/s"
        )
        var last = second
        for i in 0..<10 { last = try cache.store(measured(60_000_000_000 + Int64(i), at: 7200 + Double(i))) }
        #expect(last.earlierReads?.count == BandwidthReport.historyLength - 1)
        #expect(last.earlierReads?.last?.readBytesPerS == 60_000_000_008)
        // Within 25 % of each other: a steady machine, nothing said.
        #expect(last.unsteadyNote == nil)
        let other = try cache.store(measured(20_000_000_000, at: 9000, fingerprint: "b"))
        #expect(other.earlierReads == nil)
        // Another thread count answers another question: the history starts anew.
        var fewer = measured(20_000_000_000, at: 9100, fingerprint: "b")
        fewer.threads = 1
        #expect(try cache.store(fewer).earlierReads == nil)
    }

    /// A reading taken under load is provisional: answers say so, its successor does not keep it
    /// in the history (the busy VM's 11.3 GB/s against a quiet 33 GB/s would otherwise make the
    /// next seven answers call the machine unsteady), and `reset` forgets everything.
    @Test func aProvisionalReadingIsSaidAndNotKept() throws {
        let (cache, folder) = Self.temporaryCache()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var busy = Self.measured(read: 11_300_000_000, at: 0)
        busy.otherLoad = 0.6
        busy.provisional = true
        #expect(
            busy.provisionalNote
                == "the memory bandwidth was measured while other programs kept 60 % of the CPUs busy: a provisional reading, memory-bound speeds may be low; canrun bench measures again (canrun bench --reset forgets the history)"
        )
        try cache.store(busy)
        var quiet = Self.measured(read: 33_300_000_000, at: 600)
        quiet.otherLoad = 0.01
        quiet.provisional = false
        let stored = try cache.store(quiet)
        #expect(stored.earlierReads == nil)
        #expect(stored.unsteadyNote == nil)
        #expect(stored.provisionalNote == nil)
        try cache.reset()
        #expect(cache.load(fingerprint: "a", plausibility: Self.twoThreads) == .miss(reason: "no cached measurement"))
        // Nothing to forget is no error.
        try cache.reset()
        try BandwidthCache(directory: folder + "/never-made").reset()
    }

    @Test func peakSentence() {
        var report = Self.measured(read: 62_000_000_000, at: 0)
        report.theoreticalPeakBytesPerS = 307_200_000_000
        report.fractionOfPeak = 62.0 / 307.2
        #expect(
            report.peakSentence(channels: 2)
                == "measured 62.0 GB/s read of 307.2 GB/s possible (20%): 2 channels populated"
        )
        report.theoreticalPeakBytesPerS = nil
        report.fractionOfPeak = nil
        #expect(report.peakSentence(channels: nil).contains("unknown"))
    }
}

/// How runs become the report: per-node entries, the node × node read matrix, the peak fraction.
struct BandwidthReportAssemblyTests {
    private func run(
        _ label: String,
        _ cpu: Int?,
        _ memory: Int?,
        read: Double,
        others: Bool = true
    )
        -> BandwidthReport.RunResult
    {
        var kernels = [BandwidthReport.KernelResult(kernel: .read, statistics: PassStatistics(rates: [read])!)]
        if others {
            kernels.append(.init(kernel: .copy, statistics: PassStatistics(rates: [read * 1.5])!))
            kernels.append(.init(kernel: .triad, statistics: PassStatistics(rates: [read * 1.4])!))
        }
        return .init(
            label: label,
            cpuNode: cpu,
            memoryNode: memory,
            threads: 4,
            bytesPerArray: 1 << 20,
            kernels: kernels
        )
    }

    @Test func twoNodeMachine() throws {
        let topology = try HwlocXMLDecoder.decode(
            try Data(
                contentsOf: URL(
                    fileURLWithPath: FixturePaths.repository + "/Tests/Fixtures/hwloc-xml/mpibind-g4dnmetal.xml"
                )
            )
        )
        let plan = try BandwidthPlan(topology: topology, availableMemoryBytes: nil, options: .init())
        let runs = [
            run("node0", 0, 0, read: 100e9), run("node1", 1, 1, read: 90e9), run("all", nil, nil, read: 180e9),
            run("node0→node1", 0, 1, read: 40e9, others: false), run("node1→node0", 1, 0, read: 45e9, others: false),
        ]
        let profile = MachineProfile(memory: MemoryFacts(theoreticalBandwidthBytesPerS: 281_600_000_000))
        let report = BandwidthBenchmark.report(runs, plan: plan, profile: profile, seconds: 2)
        #expect(report.nodes.map(\.node) == [0, 1])
        #expect(report.nodes.map(\.readBytesPerS) == [100_000_000_000, 90_000_000_000])
        #expect(report.crossNode == [[100_000_000_000, 40_000_000_000], [45_000_000_000, 90_000_000_000]])
        #expect(report.total.readBytesPerS == 180_000_000_000)
        #expect(report.total.copyBytesPerS == 270_000_000_000)
        #expect(report.fractionOfPeak == 180.0 / 281.6)
        #expect(report.threads == 4)
        #expect(!report.stable)
        #expect(report.notes.first?.contains("not stable") == true)
    }
}

enum FixturePaths {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
}

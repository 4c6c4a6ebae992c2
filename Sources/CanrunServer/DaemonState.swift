import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

/// The daemon's facts as it loads them: the shipped tables and catalog, this machine's probe, its
/// cached bandwidth measurement and its calibration (state directory, keyed by the hardware
/// fingerprint).
public enum DaemonState {
    /// `$STATE_DIRECTORY` (systemd's `StateDirectory=`), else the user's state directory.
    public static func stateDirectory(environment: [String: String]) -> String {
        if let dirs = environment["STATE_DIRECTORY"], let first = dirs.split(separator: ":").first {
            return String(first)
        }
        return BandwidthCache.userStateDirectory(environment: environment)
    }

    /// Loads everything; a missing or corrupt cache is not an error (the benchmark runs), a
    /// missing catalog is.
    /// - Returns: the snapshot and, when the cache was not used, why (for the log).
    /// - Parameter llamaBench: `[llama_cpp] bench`: with the llama-bench found otherwise, the one
    ///   a calibration would run now (another than the calibration's makes it stale).
    public static func load(
        environment: [String: String],
        llamaBench: String? = nil
    ) throws -> (APISnapshot, cacheMiss: String?, topology: TopologyFacts?) {
        let (catalog, quants) = try CatalogFiles.shipped(environment: environment)
        let efficiency = try DataDirectory.efficiencyTable(environment: environment)
        let gpus = try DataDirectory.gpuTable(environment: environment)
        // canrund.service hands the root-only SMBIOS table over as a credential.
        let dmi = environment["CREDENTIALS_DIRECTORY"].map { $0 + "/dmi" }
        let readings = MachineProbe.probe(.init(smbiosTableCopy: dmi)).readings
        var machine = ProfileAssembler.assemble(readings, gpuTable: gpus)
        let cache = BandwidthCache(directory: stateDirectory(environment: environment))
        // A store killed between its temporary file and the rename left one behind.
        cache.removeStaleTemporaries()
        var miss: String?
        switch cache.load(for: machine) {
        case .hit(let report): machine.bandwidth = report
        case .miss(let reason): miss = reason
        }
        // The CLI answering with this machine answers with this calibration too (GET
        // /v1/calibration), so both say the same.
        let calibration = CalibrationStore(directory: stateDirectory(environment: environment)).state(
            for: machine,
            llamaBenchNow: try? LlamaBenchRunner.locate(explicit: llamaBench, environment: environment)
        )
        var snapshot = APISnapshot(
            version: CanrunVersion.current,
            engine: FitEngine(quants: quants, efficiency: efficiency),
            catalog: catalog,
            machine: machine
        )
        snapshot.calibrate(with: calibration)
        snapshot.presets = (try? DataDirectory.presets(gpus: gpus, environment: environment).presets) ?? []
        // An unreadable log is a fresh one: the next verification starts it again.
        snapshot.verifications =
            (try? VerificationLog(directory: stateDirectory(environment: environment)).load()) ?? []
        if machine.bandwidth != nil { snapshot.benchmarkCache = .saved }
        return (snapshot, miss, readings.topology)
    }

    /// `$CACHE_DIRECTORY` (systemd's `CacheDirectory=`), else the user's cache folder: where the
    /// calibration's synthetic models are kept.
    public static func cacheDirectory(environment: [String: String]) -> String {
        if let dirs = environment["CACHE_DIRECTORY"], let first = dirs.split(separator: ":").first {
            return String(first)
        }
        return CalibrationStore.cacheDirectory(environment: environment)
    }

    /// Calibrates `machine` against the shipped `engine` as `query` asks, with `llamaBench` (the
    /// configured one, else found as the CLI finds it), blocking for seconds to minutes, and
    /// keeps the result in the state directory. A calibration the state directory did not keep
    /// is answered all the same, with the reason.
    public static func calibrate(
        machine: MachineProfile,
        engine: FitEngine,
        query: APIRoute.CalibrationQuery,
        llamaBench: String?,
        environment: [String: String],
        isCancelled: () -> Bool
    ) throws -> (CalibrationState, notSaved: String?) {
        let (bench, dialect) = try locate(llamaBench, environment: environment)
        let run = CalibrationRun(
            llamaBench: bench,
            dialect: dialect,
            threads: query.threads,
            repetitions: query.repetitions,
            quick: query.quick,
            allowBusy: query.allowBusy,
            modelFolder: cacheDirectory(environment: environment) + "/calibration"
        )
        let calibration = try run.run(machine: machine, engine: engine, isCancelled: isCancelled)
        let store = CalibrationStore(directory: stateDirectory(environment: environment))
        var notSaved: String?
        do {
            try store.save(calibration)
        } catch {
            notSaved = "could not save the calibration in \(store.directory): \(error)"
        }
        let state = CalibrationState.of(
            calibration,
            path: store.path,
            fingerprint: HardwareFingerprint.of(machine),
            llamaBenchModified: calibration.llamaBenchModified
        )
        return (state, notSaved)
    }

    /// Runs llama-bench on `query`'s file with the launch flags `advisor` recommends for
    /// `machine`, beside its answers, and keeps the verification in the state directory's log.
    public static func verify(
        machine: MachineProfile,
        advisor: Advisor,
        query: APIRoute.VerifyQuery,
        llamaBench: String?,
        environment: [String: String]
    ) throws -> (Verification, notSaved: String?) {
        let (bench, dialect) = try locate(llamaBench, environment: environment)
        let run = VerificationRun(
            llamaBench: bench,
            dialect: dialect,
            depth: query.depth,
            repetitions: query.repetitions
        )
        let verification = try run.run(file: query.file, question: query.question, advisor: advisor, machine: machine)
        let log = VerificationLog(directory: stateDirectory(environment: environment))
        do {
            try log.append(verification)
            return (verification, nil)
        } catch {
            return (verification, "could not keep the verification in \(log.directory): \(error)")
        }
    }

    /// The configured llama-bench (else found as the CLI finds one) and how it spells its options.
    static func locate(
        _ llamaBench: String?,
        environment: [String: String]
    ) throws -> (String, LlamaBenchPlan.Dialect) {
        let bench = try LlamaBenchRunner.locate(explicit: llamaBench, environment: environment)
        return (bench, LlamaBenchPlan.Dialect(help: try LlamaBenchRunner.help(bench)))
    }

    /// How long a measurement waits for other programs to quiet down before it starts (it is
    /// marked provisional when they do not, and measured again later: `RemeasureSchedule`).
    public static let quietWaitSeconds = 10.0

    /// Measures the bandwidth (a few seconds, blocking, after waiting up to `quietWaitSeconds`
    /// for a quiet machine) and caches it atomically. Only the measurement can fail: a cache that
    /// cannot be written keeps it all the same.
    public static func measure(
        machine: MachineProfile,
        topology: TopologyFacts,
        environment: [String: String],
        isCancelled: () -> Bool
    ) throws -> BenchmarkMeasurement {
        let report = try BandwidthBenchmark.measure(
            profile: machine,
            topology: topology,
            options: .init(quietWaitSeconds: quietWaitSeconds),
            isCancelled: isCancelled
        )
        return keep(report, environment: environment)
    }

    /// Stores `report` in the state directory; when that fails (a full disk, a read-only or
    /// refused folder) the report is kept in memory and the reason returned for the log and
    /// `/v1/health`.
    public static func keep(_ report: BandwidthReport, environment: [String: String]) -> BenchmarkMeasurement {
        let cache = BandwidthCache(directory: stateDirectory(environment: environment))
        do {
            return BenchmarkMeasurement(report: try cache.store(report), cache: .saved)
        } catch {
            return BenchmarkMeasurement(
                report: report,
                cache: .notSaved(reason: "could not save the measurement in \(cache.directory): \(error)")
            )
        }
    }
}

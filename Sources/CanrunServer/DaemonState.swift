import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

/// The daemon's facts as it loads them: the shipped tables and catalog, this machine's probe and
/// its cached bandwidth measurement (state directory, keyed by the hardware fingerprint).
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
    public static func load(
        environment: [String: String]
    ) throws -> (APISnapshot, cacheMiss: String?, topology: TopologyFacts?) {
        let (catalog, quants) = try CatalogFiles.shipped(environment: environment)
        let efficiency = try DataDirectory.efficiencyTable(environment: environment)
        let gpus = try DataDirectory.gpuTable(environment: environment)
        // canrund.service hands the root-only SMBIOS table over as a credential.
        let dmi = environment["CREDENTIALS_DIRECTORY"].map { $0 + "/dmi" }
        let readings = MachineProbe.probe(.init(smbiosTableCopy: dmi)).readings
        var machine = ProfileAssembler.assemble(readings, gpuTable: gpus)
        let cache = BandwidthCache(directory: stateDirectory(environment: environment))
        var miss: String?
        switch cache.load(fingerprint: HardwareFingerprint.of(machine)) {
        case .hit(let report): machine.bandwidth = report
        case .miss(let reason): miss = reason
        }
        let snapshot = APISnapshot(
            version: CanrunVersion.current,
            engine: FitEngine(quants: quants, efficiency: efficiency),
            catalog: catalog,
            machine: machine
        )
        return (snapshot, miss, readings.topology)
    }

    /// Measures the bandwidth (a few seconds, blocking) and caches it atomically.
    public static func measure(
        machine: MachineProfile,
        topology: TopologyFacts,
        environment: [String: String],
        isCancelled: () -> Bool
    ) throws -> BandwidthReport {
        let report = try BandwidthBenchmark.measure(
            profile: machine,
            topology: topology,
            options: .init(),
            isCancelled: isCancelled
        )
        return try BandwidthCache(directory: stateDirectory(environment: environment)).store(report)
    }
}

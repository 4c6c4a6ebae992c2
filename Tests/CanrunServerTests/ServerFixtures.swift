import CanrunCore
import CanrunProbe
import CanrunServer
import Foundation

/// A snapshot built from the repository's shipped data and a machine described by hand: 64 GiB,
/// 8 cores, 60 GB/s measured read, no GPU.
enum ServerFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let environment = ["CANRUN_DATA_DIR": repository + "/config"]

    static let bandwidth = BandwidthReport(
        threads: 8,
        bufferBytes: 1 << 28,
        durationS: 2,
        nodes: [.init(node: 0, readBytesPerS: 60_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0)],
        total: .init(readBytesPerS: 60_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0),
        crossNode: nil,
        measuredAt: Date(timeIntervalSince1970: 1_800_000_000),
        kernelIsa: "avx2",
        stable: true,
        runs: [],
        theoreticalPeakBytesPerS: nil,
        fractionOfPeak: nil,
        fingerprint: "test",
        notes: []
    )

    static func snapshot(bandwidth: BandwidthReport? = ServerFixtures.bandwidth) throws -> APISnapshot {
        let (catalog, quants) = try CatalogFiles.shipped(environment: environment)
        let efficiency = try DataDirectory.efficiencyTable(environment: environment)
        var machine = MachineProfile(
            cpu: CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 8, threads: 16, isa: ["avx2", "fma"]),
            memory: MemoryFacts(totalBytes: 64 << 30, availableBytes: 60 << 30),
            numaNodes: [NUMANodeFacts(id: 0, memoryBytes: 64 << 30, cpus: Array(0..<16))],
            gpus: []
        )
        machine.cpu?.frequencyMaxMhz = 5000
        machine.bandwidth = bandwidth
        return APISnapshot(
            version: "test",
            engine: FitEngine(quants: quants, efficiency: efficiency),
            catalog: catalog,
            machine: machine
        )
    }

    static func text(_ response: APIResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    static func json(_ response: APIResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }
}

import CanrunCore
import Foundation
import Testing

/// A profile a user hands in (`canrun fit --machine FILE.json`) passes `PhysicalBounds` or is
/// refused with the JSON path, the value and the bound; one the probe assembles is bounded.
struct ProfileBoundsTests {
    static func decode(_ json: String) throws -> MachineProfile {
        try ProfileJSON.decoder().decode(MachineProfile.self, from: Data(json.utf8))
    }

    /// A profile as `canrun probe --json` writes it, with `numa` in place of its NUMA nodes.
    static func profileJSON(numa: String = #"[{"id": 0, "memory_bytes": 34359738368, "cpus": [0, 1]}]"#) -> String {
        """
        {"schema_version": 1, "memory": {"total_bytes": 34359738368, "sockets": []},
         "numa_nodes": \(numa), "other_accelerators": [], "sources": {}, "warnings": []}
        """
    }

    @Test func aPhysicalProfilePasses() throws {
        let profile = try Self.decode(Self.profileJSON())
        #expect(try profile.validated() == profile)
        #expect(profile.bounded() == profile)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var numa: String
        var message: String
        var testDescription: String { message }
    }

    static let hostile: [Case] = [
        .init(
            numa: #"[{"id": 0, "memory_bytes": 9223372036854775807, "cpus": [0]}]"#,
            message:
                "numa_nodes[0].memory_bytes = 9223372036854775807 is outside the physical bound 0…1125899906842624 bytes"
        ),
        .init(
            numa: #"[{"id": 0, "memory_bytes": -1, "cpus": [0]}]"#,
            message: "numa_nodes[0].memory_bytes = -1 is outside the physical bound 0…1125899906842624 bytes"
        ),
        .init(
            numa: #"[{"id": 0, "memory_bytes": 1, "cpus": [0, 9223372036854775807]}]"#,
            message: "numa_nodes[0].cpus[1] = 9223372036854775807 is outside the physical bound 0…65535"
        ),
        .init(
            numa: #"[{"id": 0, "memory_bytes": 1, "cpus": [0], "distances": [10, 0]}]"#,
            message: "numa_nodes[0].distances[1] = 0 is outside the physical bound 1…10000"
        ),
        .init(
            numa: #"[{"id": 70000, "memory_bytes": 1, "cpus": [0]}]"#,
            message: "numa_nodes[0].id = 70000 is outside the physical bound 0…4095"
        ),
        .init(
            numa: #"[{"id": 252, "memory_bytes": 16911433728, "cpus": [], "memory_kind": "gpu"}]"#,
            message:
                "numa_nodes[0].memory_kind = gpu is outside the physical bound host memory kinds (GPU memory belongs in gpu_memory_nodes)"
        ),
    ]

    @Test(arguments: hostile)
    func aUserProfileBeyondTheBoundsIsAnErrorNamingPathValueAndBound(_ c: Case) throws {
        let profile = try Self.decode(Self.profileJSON(numa: c.numa))
        #expect(throws: MachineProfile.ValidationError.self) { try profile.validated() }
        do {
            _ = try profile.validated()
        } catch let error as MachineProfile.ValidationError {
            #expect(error.violations.map(\.description) == [c.message])
            #expect(error.description.contains(c.message))
            #expect(error.description.contains("write null where a value is unknown"))
        }
        let bounded = profile.bounded()
        #expect(bounded.warnings == [c.message + "; treated as unknown"])
        #expect(throws: Never.self) { try bounded.validated() }
    }

    @Test func gpusBandwidthAndCachesAreCheckedToo() throws {
        var profile = try Self.decode(Self.profileJSON())
        profile.gpus = [
            GPUFacts(
                memoryBytes: Int64.max,
                bandwidthBytesPerS: -1,
                numaNode: -1,
                pcieLink: .init(bytesPerS: 0, source: "x")
            )
        ]
        profile.cpu = CPUFacts(
            cores: 0,
            caches: [CacheFacts(level: 3, kind: "unified", sizeBytes: Int64.max, count: 1)]
        )
        profile.memory.modules = [MemoryModuleFacts(sizeBytes: 1 << 50, speedMts: 70000)]
        profile.bandwidth = FitEngineTests.machine(ramGiB: 1, readGBs: -1).bandwidth
        #expect(
            paths(of: profile) == [
                "cpu.cores", "cpu.caches[0].size_bytes", "memory.modules[0].speed_mts", "memory.modules[0].size_bytes",
                "gpus[0].memory_bytes", "gpus[0].bandwidth_bytes_per_s", "gpus[0].numa_node",
                "gpus[0].pcie_link.bytes_per_s",
                "bandwidth.total.read_bytes_per_s",
            ]
        )
        let bounded = profile.bounded()
        #expect(bounded.gpus?.first?.memoryBytes == nil)
        #expect(bounded.gpus?.first?.pcieLink == nil)
        #expect(bounded.cpu?.caches == [])
        #expect(bounded.memory.modules == [])
        #expect(bounded.bandwidth == nil)
        #expect(throws: Never.self) { try bounded.validated() }
    }

    private func paths(of profile: MachineProfile) -> [String] {
        do {
            _ = try profile.validated()
            return []
        } catch let error as MachineProfile.ValidationError {
            return error.violations.map(\.path)
        } catch {
            return ["\(error)"]
        }
    }

    /// Sums over nodes, GPUs and DIMMs at their bounds fit Int64: the most NUMA nodes with the
    /// most memory each (2^12 × 2^50 = 2^62), the most GPUs likewise (2^10 × 2^50), the most
    /// DIMMs (2^12 × 2^42), all channels at the widest and fastest. A fit on that machine, which
    /// sums them as the engine does, runs to the end.
    @Test func sumsAtTheBoundsDoNotOverflow() throws {
        let most = PhysicalBounds.memoryBytes.range.upperBound
        let nodes = (0..<PhysicalBounds.maxNUMANodes).map {
            NUMANodeFacts(id: $0, memoryBytes: most, cpus: [$0 % 65_536], distances: nil)
        }
        let gpus = (0..<PhysicalBounds.maxGPUs).map { index in
            GPUFacts(
                pciAddress: String(format: "0000:%02x:%02x.0", index / 32, index % 32),
                vendor: "NVIDIA",
                memoryBytes: most,
                memoryFreeBytes: most,
                bandwidthBytesPerS: PhysicalBounds.bytesPerS.range.upperBound,
                fp16FlopsPerS: PhysicalBounds.flopsPerS.range.upperBound
            )
        }
        let profile = MachineProfile(
            cpu: CPUFacts(packages: 1024, cores: 65_536, threads: 65_536, frequencyMaxMhz: 100_000),
            memory: MemoryFacts(totalBytes: most, availableBytes: most),
            numaNodes: nodes,
            gpus: gpus
        )
        #expect(throws: Never.self) { try profile.validated() }
        #expect(nodes.compactMap(\.memoryBytes).reduce(0, +) == Int64(1) << 62)
        #expect(gpus.compactMap(\.memoryBytes).reduce(0, +) == Int64(1) << 60)

        // 256 channels of 1024-bit devices at 20000 MT/s: 128 B × 2 × 10^10 × 256.
        let dimms = (0..<PhysicalBounds.memorySlots.range.upperBound).map { index in
            MemoryDeviceRecord(
                locator: "CPU\(index / 16)_DIMM_\(Character(UnicodeScalar(65 + index % 16)!))1",
                sizeBytes: PhysicalBounds.moduleBytes.range.upperBound,
                type: "DDR5",
                configuredSpeedMts: 20_000,
                dataWidthBits: 1024
            )
        }
        let analysis = MemoryChannelAnalyzer.analyze(Array(dimms.prefix(256)))
        #expect(analysis.channelsPopulated == 256)
        #expect(analysis.theoreticalBandwidthBytesPerS == 655_360_000_000_000)
        let all = MemoryChannelAnalyzer.analyze(dimms)
        #expect(all.installedBytes == nil)
        #expect(all.notes.contains { $0.contains("memory 18014398509481984 is outside") })

        let model = try FitEngineTests.model("llama-3.1-8b")
        let report = try FitEngineTests.engine.fit(
            .init(model: model, quant: "Q4_K_M", context: 8192),
            machine: profile
        )
        #expect(report.fits)
    }
}

import CanrunCore
import Testing

/// Quick what-if edits (`--gpu`, `--ram`, `--cpu-cores`, `--bandwidth`, issue 13).
struct MachineEditsTests {
    @Test(arguments: [
        ("64GiB", Int64(64) << 30), ("64G", 64 << 30), ("64 GB", 64 << 30), ("64", 64 << 30),
        ("512MiB", 512 << 20), ("1.5T", 3 << 39),
    ])
    func sizes(_ text: String, _ bytes: Int64) {
        #expect(MachineEdits.size(text) == bytes)
    }

    @Test(arguments: ["", "lots", "-4G", "0", "64X"])
    func notSizes(_ text: String) {
        #expect(MachineEdits.size(text) == nil)
    }

    @Test(arguments: [
        ("96", Int64(96_000_000_000)), ("96GB/s", 96_000_000_000), ("1.2TB/s", 1_200_000_000_000),
        ("800 GB/s", 800_000_000_000),
    ])
    func rates(_ text: String, _ bytesPerS: Int64) {
        #expect(MachineEdits.rate(text) == bytesPerS)
    }

    /// Two RTX 4090s added to a 24 GiB machine, RAM raised to 64 GiB (its one NUMA node too), 16
    /// cores, and a 96 GB/s peak that replaces the measured 30 GB/s.
    @Test func editsApply() throws {
        let base = FitEngineTests.machine(ramGiB: 24, readGBs: 30)
        let edits = MachineEdits(
            gpus: ["GeForce RTX 4090", "GeForce RTX 4090"],
            ramBytes: 64 << 30,
            cpuCores: 16,
            bandwidthBytesPerS: 96_000_000_000
        )
        let edited = try edits.applied(to: base, table: CoreFixtures.gpuTable)
        #expect(edited.gpus?.count == 2)
        #expect(edited.gpus?.first?.memoryBytes == 24 << 30)
        #expect(edited.memory.totalBytes == 64 << 30)
        #expect(edited.numaNodes?.first?.memoryBytes == 64 << 30)
        #expect(edited.cpu?.cores == 16)
        #expect(edited.memory.theoreticalBandwidthBytesPerS == 96_000_000_000)
        #expect(edited.bandwidth == nil)
        #expect(
            edits.description == "+ GeForce RTX 4090, + GeForce RTX 4090, RAM 64.0 GiB, 16 cores, memory peak 96.0 GB/s"
        )
        #expect(throws: UnknownGPU(name: "Imaginary 9000")) {
            try MachineEdits(gpus: ["Imaginary 9000"]).applied(to: base, table: CoreFixtures.gpuTable)
        }
        #expect(MachineEdits().isEmpty)
    }
}

import CanrunCore
import Foundation
import Testing

/// A what-if profile written by hand (`canrun fit --machine FILE.json`): what it leaves out is
/// unknown, and a GPU given by name or PCI id takes its facts from config/gpus.toml.
struct PartialProfileTests {
    static func decode(_ json: String) throws -> MachineProfile {
        try ProfileJSON.decoder().decode(MachineProfile.self, from: Data(json.utf8))
    }

    @Test func leftOutKeysAreUnknown() throws {
        let profile = try Self.decode(#"{"memory": {"total_bytes": 68719476736}, "cpu": {"cores": 16}}"#)
        #expect(profile.schemaVersion == MachineProfile.currentSchemaVersion)
        #expect(profile.memory.totalBytes == 64 << 30)
        #expect(profile.memory.sockets.isEmpty)
        #expect(profile.cpu?.cores == 16)
        #expect(profile.cpu?.isa == [])
        #expect(profile.gpus == nil)
        #expect(profile.bandwidth == nil)
        #expect(try Self.decode("{}") == MachineProfile())
        // A whole profile still reads as it was written.
        let full = try #require(try HardwarePresetsTests.shipped().preset(named: "rtx-4090")?.profile)
        let data = try ProfileJSON.encoder().encode(full)
        #expect(try ProfileJSON.decoder().decode(MachineProfile.self, from: data) == full)
    }

    /// gpus.toml's RTX 4090: 24 GiB at 1008 GB/s (NVIDIA's specification page).
    @Test(arguments: [#"{"name": "GeForce RTX 4090"}"#, #"{"vendor_id": "10de", "device_id": "2684"}"#])
    func aGPUByNameOrIDTakesTheTablesFacts(_ gpu: String) throws {
        let profile = try Self.decode(#"{"gpus": [\#(gpu)]}"#).completingGPUs(from: CoreFixtures.gpuTable)
        let card = try #require(profile.gpus?.first)
        #expect(card.memoryBytes == 24 << 30)
        #expect(card.bandwidthBytesPerS == 1_008_000_000_000)
        #expect(card.peaks?.int8OpsPerS == 660.6e12)
        #expect(card.architecture == "Ada Lovelace")
    }

    /// What the profile states wins over the table.
    @Test func statedFactsAreKept() throws {
        let profile = try Self.decode(
            #"{"gpus": [{"name": "GeForce RTX 4090", "memory_bytes": 25769803776, "bandwidth_bytes_per_s": 900000000000}]}"#
        )
        .completingGPUs(from: CoreFixtures.gpuTable)
        #expect(profile.gpus?.first?.bandwidthBytesPerS == 900_000_000_000)
        #expect(profile.gpus?.first?.memoryBytes == 24 << 30)
    }

    @Test func aGPUWithoutMemoryIsAnErrorNotADrop() throws {
        let profile = try Self.decode(#"{"gpus": [{"name": "Imaginary 9000"}]}"#)
        #expect(throws: UnknownGPU(name: "Imaginary 9000")) { try profile.completingGPUs(from: CoreFixtures.gpuTable) }
        #expect("\(UnknownGPU(name: "X"))".contains("give its memory_bytes"))
    }
}

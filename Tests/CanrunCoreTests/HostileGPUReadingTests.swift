import CanrunCore
import Foundation
import Testing

/// GPU memory and rates no GPU has, from every driver source canrun reads (`nvidia-smi -q -x`,
/// `rocm-smi --json`, NVML answers as a recording's `nvml.json`, hwloc's OS device infos): each
/// is unknown in the profile, with a warning, and nothing traps.
struct HostileGPUReadingTests {
    static func assemble(_ readings: ProbeReadings) -> MachineProfile {
        ProfileAssembler.assemble(readings, gpuTable: CoreFixtures.gpuTable)
    }

    /// `81920 MiB` is read; `9223372036854775807 MiB` once overflowed the multiplication.
    @Test func nvidiaSmiMemoryBeyondTheBoundIsUnknown() throws {
        let xml = """
            <nvidia_smi_log><attached_gpus>1</attached_gpus>
            <gpu id="00000000:01:00.0"><product_name>NVIDIA A100-SXM4-80GB</product_name>
            <fb_memory_usage><total>9223372036854775807 MiB</total><free>81920 MiB</free></fb_memory_usage>
            </gpu></nvidia_smi_log>
            """
        let result = try NvidiaSmiXMLReader.read(Data(xml.utf8))
        #expect(result.gpus.first?.memoryBytes == nil)
        #expect(result.gpus.first?.memoryFreeBytes == 85_899_345_920)
        #expect(
            result.problems == [
                "nvidia-smi GPU 0000:01:00.0 memory: memory 9223372036854775807 MiB is outside the physical bound 0…1125899906842624 bytes; treated as unknown"
            ]
        )
    }

    /// rocm-smi prints bytes as strings; Int64.max total with used -1 once overflowed `total − used`.
    @Test func rocmSmiMemoryBeyondTheBoundIsUnknownInTheProfile() throws {
        let json = """
            {"card0": {"PCI Bus": "0000:03:00.0", "Device ID": "0x740f",
             "VRAM Total Memory (B)": "9223372036854775807", "VRAM Total Used Memory (B)": "-1"}}
            """
        let readings = try RocmSmiJSONReader.read(Data(json.utf8))
        #expect(readings.first?.memoryFreeBytes == nil)
        let profile = Self.assemble(ProbeReadings(driverReadings: readings))
        let gpu = try #require(profile.gpus?.first)
        #expect(gpu.memoryBytes == nil || gpu.memorySource == "table")
        #expect(gpu.memorySource != "rocm-smi")
        #expect(
            profile.warnings.contains {
                $0.contains("rocm-smi GPU 0000:03:00.0 memory: memory 9223372036854775807 is outside")
            }
        )
    }

    /// A recording's `nvml.json` decodes into readings as they are: memory, bus width and clock
    /// of Int64.max once trapped in the bandwidth product.
    @Test func nvmlRecordingBeyondTheBoundsIsUnknownInTheProfile() throws {
        let json = """
            [{"pci_address": "0000:41:00.0", "vendor_id": 4318, "device_id": 8833, "name": "NVIDIA H200",
              "memory_bytes": 9223372036854775807, "memory_free_bytes": -1,
              "bus_width_bits": 9223372036854775807, "max_memory_clock_mhz": 9223372036854775807,
              "gtt_bytes": null, "architecture": null, "pcie_link": null, "source": "nvml", "driver": "nvidia",
              "subsystem": null}]
            """
        let readings = try ProfileJSON.decoder().decode([GPUDriverReading].self, from: Data(json.utf8))
        #expect(readings.first?.bandwidthBytesPerS == nil)
        let profile = Self.assemble(ProbeReadings(driverReadings: readings))
        let gpu = try #require(profile.gpus?.first)
        #expect(gpu.memorySource != "nvml")
        #expect(gpu.memoryFreeBytes == nil)
        #expect(gpu.bandwidthSource != "nvml")
        #expect(gpu.busWidthBits.map(PhysicalBounds.busWidthBits.contains) ?? true)
        let said = profile.warnings.filter { $0.hasPrefix("nvml GPU 0000:41:00.0") }
        #expect(said.count == 4, "\(profile.warnings)")
    }

    /// A recording's power limit no board has (10^30 W) is unknown, with a warning: the table's
    /// rated power stands, and the prompt's clock comes from it.
    @Test func nvmlPowerLimitBeyondTheBoundIsUnknown() throws {
        let json = """
            [{"pci_address": "0000:41:00.0", "vendor_id": 4318, "device_id": 9013, "name": "NVIDIA H200",
              "power_limit_w": 1e30, "source": "nvml", "driver": "nvidia"}]
            """
        let readings = try ProfileJSON.decoder().decode([GPUDriverReading].self, from: Data(json.utf8))
        #expect(readings.first?.powerLimitW == 1e30)
        let profile = Self.assemble(ProbeReadings(driverReadings: readings))
        let peaks = try #require(profile.gpus?.first?.peaks)
        #expect(peaks.boardPowerSource == "table")
        #expect(peaks.boardPowerW.map(PhysicalBounds.boardPowerW.contains) == true)
        #expect(profile.warnings.contains { $0.hasPrefix("nvml GPU 0000:41:00.0 power limit") }, "\(profile.warnings)")
    }

    /// Within the bounds each, beyond them together: 65536 bits × 100000 MHz × 2 = 1.6 PB/s.
    @Test func bandwidthProductBeyondTheBoundIsUnknown() {
        var problems: [String] = []
        let reading = GPUDriverReading(busWidthBits: 65_536, maxMemoryClockMhz: 100_000, source: "nvml")
            .bounded(problems: &problems)
        #expect(reading.bandwidthBytesPerS == nil)
        #expect(reading.busWidthBits == nil)
        #expect(problems.count == 1)
        #expect(problems.first?.contains("65536 bits × 100000 MHz × 2") == true)
    }

    /// hwloc's `CUDAGlobalMemorySize` is KiB: Int64.max KiB overflows once in bytes.
    @Test func hwlocGPUMemoryInfoBeyondTheBoundIsUnknown() throws {
        let gpu = PCIDeviceRecord(
            address: "0000:01:00.0",
            vendorId: 0x10DE,
            deviceId: 0x2330,
            classCode: 0x0302,
            osDevices: [
                OSDeviceRecord(name: "cuda0", subtype: "CUDA", infos: ["CUDAGlobalMemorySize": "9223372036854775807"])
            ]
        )
        let profile = Self.assemble(ProbeReadings(topology: TopologyFacts(pciDevices: [gpu])))
        let facts = try #require(profile.gpus?.first)
        #expect(facts.memorySource != "hwloc_cuda")
        #expect(
            profile.warnings.contains {
                $0.contains("hwloc 0000:01:00.0 cuda0 CUDAGlobalMemorySize: memory 9223372036854775807 KiB is outside")
            }
        )
    }
}

import CanrunCore
import Foundation
import Testing

/// Expected values from Tests/Fixtures/README.md (hwloc-xml section), which re-derives them from
/// the files.
struct HwlocXMLDecoderTests {
    private func decode(_ name: String) throws -> TopologyFacts {
        try HwlocXMLDecoder.decode(try CoreFixtures.data("hwloc-xml/" + name))
    }

    /// hwloc-1 file: NUMA nodes 1 and 3 have no memory controllers (0 B) and are kept, unlike
    /// hwloc 2.9's import; the v1 latency matrix (base 10) gives SLIT-style distances.
    @Test func keepsMemorylessNodesOfHwloc1Files() throws {
        let t = try decode("flux-sched-chimera.xml")
        #expect(t.numaNodes.map(\.id) == [0, 1, 2, 3])
        #expect(t.numaNodes.map(\.memoryBytes) == [67_522_445_312, 0, 67_591_958_528, 0] as [Int64?])
        #expect(t.numaNodes[0].distances == [10, 16, 16, 16])
        #expect(t.cpuModel == "AMD Ryzen Threadripper 2990WX 32-Core Processor")
    }

    /// SNC2 with Optane Memory Mode: 96 GiB DRAM memory-side cache in front of each node; the
    /// NUMALatency matrix of the file (10 local, 11 same package, 21 remote).
    @Test func readsMemorySideCachesAndDistances() throws {
        let t = try decode("memorysidecaches.xml")
        #expect(t.numaNodes.count == 4)
        #expect(t.numaNodes.allSatisfy { $0.memorySideCacheBytes == 103_079_215_104 })
        #expect(t.numaNodes[0].distances == [10, 21, 11, 21])
        #expect(t.numaNodes.map(\.package) == [0, 1, 0, 1])
        #expect(t.packages == 2)
        #expect(t.cores == 40)
        #expect(t.threads == 80)
    }

    /// CPUID-only topology: the node has no local_memory, so memory is unknown, not 0.
    @Test func memoryWithoutDataIsUnknown() throws {
        let t = try decode("AMD-1Ah-Zen5StrixPoint-RyzenAI9HX370.output.xml")
        #expect(t.numaNodes.count == 1)
        #expect(t.numaNodes[0].memoryBytes == nil)
        #expect(t.kinds.map(\.name) == ["AMDEfficieny", "AMDPerformance"])
        #expect(t.kinds.map(\.cpus.count) == [16, 8])
        #expect(t.kinds.map(\.efficiency) == [0, 1])
    }

    /// KNL in flat SNC-4: four MCDRAM nodes with empty cpusets are host memory too.
    @Test func readsCpuLessMemoryNodes() throws {
        let t = try decode("mpibind-knl-snc4-flat-hwloc1.xml")
        #expect(t.numaNodes.count == 8)
        #expect(t.numaNodes.filter(\.cpus.isEmpty).map(\.memoryBytes) == Array(repeating: 4_294_967_296, count: 4))
        #expect(t.threads == 272)
    }

    /// One V100 appears as CUDA, OpenCL and NVML OS devices under one PCI function.
    @Test func foldsOSDevicesIntoTheirPCIFunction() throws {
        let t = try decode("power8gpudistances.xml")
        let gpus = t.pciDevices.filter { GPUClassifier.classify($0) == .gpu }
        #expect(gpus.count == 4)
        #expect(gpus.map(\.address) == ["0002:01:00.0", "0003:01:00.0", "000a:01:00.0", "000b:01:00.0"])
        #expect(gpus[0].osDevices.count == 3)
        #expect(gpus[0].osDevices.compactMap { $0.infos["CUDAGlobalMemorySize"] } == ["16671616"])
        #expect(gpus[0].classCode == 0x0302)
        #expect(gpus[0].vendorId == 0x10DE && gpus[0].deviceId == 0x15F9)
    }

    /// NVSwitch bridges (10de:1ac2, class 0680) are NVIDIA devices but not GPUs.
    @Test func nvSwitchesAreNotGPUs() throws {
        let t = try decode("nvidiaDGX2.xml")
        let nvidia = t.pciDevices.filter { $0.vendorId == 0x10DE }
        #expect(nvidia.count == 27)
        #expect(nvidia.filter { GPUClassifier.classify($0) == .gpu }.count == 16)
    }

    @Test func malformedXMLIsAnError() {
        #expect(throws: HwlocXMLDecoder.DecodingError.self) {
            try HwlocXMLDecoder.decode(Data("<topology version=\"2.0\"><object type=\"Machine\">".utf8))
        }
        #expect(throws: HwlocXMLDecoder.DecodingError.notATopology) {
            try HwlocXMLDecoder.decode(Data("<nvidia_smi_log></nvidia_smi_log>".utf8))
        }
    }
}

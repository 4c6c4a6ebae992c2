import CanrunCore
import Foundation
import Testing

/// hwloc XML, `/proc/cpuinfo` and `/proc/meminfo` with values no machine has: each is unknown
/// (or left out), said in `problems`, and never traps (`PhysicalBounds`).
struct HostileTopologyTests {
    /// A two-node hwloc-1 topology: `node1` replaces node 1's attributes, `latencies` the
    /// 2 × 2 matrix (base 10).
    static func v1(
        node1: String = #"local_memory="1073741824""#,
        latencies: [String] = ["1.0", "2.1", "2.1", "1.0"],
        base: String = "10.000000",
        cpuset1: String = "0x00000002"
    ) -> Data {
        let values = latencies.map { "      <latency value=\"\($0)\"/>" }.joined(separator: "\n")
        return Data(
            """
            <topology>
              <object type="Machine" os_index="0" cpuset="0x00000003">
                <distances nbobjs="2" relative_depth="1" latency_base="\(base)">
            \(values)
                </distances>
                <object type="NUMANode" os_index="0" cpuset="0x00000001" local_memory="1073741824">
                  <object type="Core" os_index="0" cpuset="0x00000001"><object type="PU" os_index="0" cpuset="0x00000001"/></object>
                </object>
                <object type="NUMANode" os_index="1" cpuset="\(cpuset1)" \(node1)>
                  <object type="Core" os_index="1" cpuset="0x00000002"><object type="PU" os_index="1" cpuset="0x00000002"/></object>
                </object>
              </object>
            </topology>
            """.utf8
        )
    }

    @Test func wellFormedBaselineHasNoProblems() throws {
        let t = try HwlocXMLDecoder.decode(Self.v1())
        #expect(t.problems.isEmpty)
        #expect(t.numaNodes.map(\.distances) == [[10, 21], [21, 10]])
        #expect(t.numaNodes.map(\.memoryBytes) == [1 << 30, 1 << 30] as [Int64?])
    }

    /// Latencies of NaN, infinity, 1e300 or below zero once became Int(NaN) and trapped.
    @Test(arguments: ["nan", "inf", "-inf", "1e300", "-2.1", "0", "100000"])
    func v1LatenciesBeyondTheBoundLeaveDistancesUnknown(_ latency: String) throws {
        let t = try HwlocXMLDecoder.decode(Self.v1(latencies: ["1.0", latency, "2.1", "1.0"]))
        #expect(t.numaNodes.allSatisfy { $0.distances == nil })
        #expect(t.problems.count == 1)
        #expect(t.problems.first?.contains("NUMA distance") == true)
        #expect(t.problems.first?.contains("1…10000") == true)
    }

    @Test(arguments: ["nan", "1e300", "-10"])
    func v1LatencyBaseBeyondTheBoundLeavesDistancesUnknown(_ base: String) throws {
        let t = try HwlocXMLDecoder.decode(Self.v1(base: base))
        #expect(t.numaNodes.allSatisfy { $0.distances == nil })
        #expect(t.problems.count == 1)
    }

    /// A NUMA node of Int64.max bytes (or more than Int64 holds) is unknown, not 0 and not a
    /// sum that overflows later.
    @Test(arguments: [
        #"local_memory="9223372036854775807""#, #"local_memory="99999999999999999999""#,
        #"local_memory="-1""#, #"local_memory="1125899906842625""#,
    ])
    func nodeMemoryBeyondTheBoundIsUnknown(_ attribute: String) throws {
        let t = try HwlocXMLDecoder.decode(Self.v1(node1: attribute))
        #expect(t.numaNodes.map(\.memoryBytes) == [1 << 30, nil] as [Int64?])
        #expect(t.problems.count == 1)
        #expect(t.problems.first?.hasPrefix("hwloc XML NUMA node 1: memory ") == true)
    }

    /// A cpuset naming CPU 10^6 (and a million set words) costs no more than 65536 indexes:
    /// the CPUs beyond the bound are left out, and said once.
    @Test func absurdlyLargeCpusetsAreCutAtTheBound() throws {
        let huge = "0xffffffff," + Array(repeating: "0xffffffff", count: 40_000).joined(separator: ",")
        let t = try HwlocXMLDecoder.decode(Self.v1(cpuset1: huge))
        #expect(t.numaNodes[1].cpus.count == 65_536)
        #expect(t.numaNodes[1].cpus.last == 65_535)
        #expect(
            t.problems == [
                "hwloc XML: cpusets name logical CPUs beyond the physical bound 0…65535; those CPUs are left out"
            ]
        )
    }

    @Test func absurdNodeIndexesAreLeftOut() throws {
        let xml = String(decoding: Self.v1(), as: UTF8.self)
            .replacingOccurrences(
                of: #"os_index="1" cpuset="0x00000002" local"#,
                with: #"os_index="99999999999" cpuset="0x00000002" local"#
            )
        let t = try HwlocXMLDecoder.decode(Data(xml.utf8))
        #expect(t.numaNodes.map(\.id) == [0])
        #expect(t.problems.first?.contains("NUMA node index 99999999999") == true)
    }

    /// hwloc 2: a `NUMALatency` matrix over 2^62 objects (its square overflows) or with a
    /// distance of 10^6; a cache of Int64.max bytes; GPU memory of Int64.max.
    @Test func v2ValuesBeyondTheBounds() throws {
        let xml = """
            <topology version="2.0">
              <object type="Machine" os_index="0" cpuset="0x00000003" nodeset="0x00000003">
                <object type="Package" os_index="0" cpuset="0x00000003">
                  <object type="L3Cache" cpuset="0x00000003" cache_size="9223372036854775807" depth="3" cache_type="0">
                    <object type="Core" os_index="0" cpuset="0x00000003"><object type="PU" os_index="0" cpuset="0x00000001"/><object type="PU" os_index="1" cpuset="0x00000002"/></object>
                  </object>
                  <object type="NUMANode" os_index="0" cpuset="0x00000003" nodeset="0x00000001" local_memory="1073741824"/>
                </object>
                <object type="NUMANode" os_index="1" cpuset="0x0" nodeset="0x00000002" local_memory="1073741824"/>
                <object type="NUMANode" os_index="255" cpuset="0x0" subtype="GPUMemory" local_memory="9223372036854775807">
                  <info name="PCIBusID" value="0004:04:00.0"/>
                </object>
              </object>
              <distances2 type="NUMANode" nbobjs="4611686018427387904" kind="5" name="NUMALatency" indexing="os">
                <indexes length="4">0 1 </indexes>
                <u64values length="12">10 20 20 10 </u64values>
              </distances2>
              <distances2 type="NUMANode" nbobjs="2" kind="5" name="NUMALatency" indexing="os">
                <indexes length="4">0 1 </indexes>
                <u64values length="12">10 1000000 20 10 </u64values>
              </distances2>
            </topology>
            """
        let t = try HwlocXMLDecoder.decode(Data(xml.utf8))
        #expect(t.numaNodes.map(\.id) == [0, 1])
        #expect(t.numaNodes.allSatisfy { $0.distances == nil })
        #expect(t.caches.isEmpty)
        #expect(t.gpuMemoryNodes.isEmpty)
        #expect(t.problems.count == 4, "\(t.problems)")
        #expect(t.problems.contains { $0.contains("4611686018427387904 nodes") })
        #expect(t.problems.contains { $0.contains("NUMA distance 1000000") })
        #expect(t.problems.contains { $0.contains("L3Cache: cache size 9223372036854775807") })
        #expect(t.problems.contains { $0.contains("NUMA node 255: memory 9223372036854775807") })
    }

    /// `processor : 9223372036854775807` followed by a number-less `processor` line once
    /// computed Int.max + 1 and trapped.
    @Test func cpuinfoProcessorNumbersBeyondTheBoundAreIgnored() {
        let info = CPUInfoParser.parse(
            """
            processor\t: 9223372036854775807
            CPU part\t: 0xd85
            processor\t: next
            CPU part\t: 0xd87
            processor\t: 65535
            processor\t: x
            cpu MHz\t\t: nan
            cpu MHz\t\t: 1e300
            cpu MHz\t\t: 3000.0
            """
        )
        #expect(info.armParts.isEmpty)
        #expect(info.highestMHz == 3000)
        #expect(info.problems.count == 4, "\(info.problems)")
        #expect(info.problems.contains { $0.contains("logical CPU index 9223372036854775807") })
        #expect(info.problems.contains { $0.contains("logical CPU index 65536") })
        #expect(info.problems.contains { $0.contains("clock nan") })
    }

    /// `MemTotal` in kB once multiplied by 1024 unchecked.
    @Test func meminfoSizesBeyondTheBoundAreUnknown() {
        let m = MeminfoParser.parse(
            """
            MemTotal:       99999999999999999 kB
            MemFree:        -5 kB
            MemAvailable:   99999999999999999999 kB
            """
        )
        #expect(m.totalBytes == nil)
        #expect(m.availableBytes == nil)
        #expect(m.problems.count == 3)
        #expect(
            m.problems.first
                == "meminfo MemTotal: memory 99999999999999999 kB is outside the physical bound 0…1125899906842624 bytes; treated as unknown"
        )
    }
}

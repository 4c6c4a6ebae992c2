import CanrunCore
import Foundation
import Testing

/// Three facts recordings of real machines got wrong, on the hand-made fixtures that reproduce
/// them (`Tests/Fixtures/hand-made/README.md` says what each mimics and derives each value).
struct RecordedMachineFactsTests {
    static func assemble(_ readings: ProbeReadings) -> MachineProfile {
        ProfileAssembler.assemble(readings, gpuTable: CoreFixtures.gpuTable)
    }

    // MARK: SMBIOS without memory devices

    /// QEMU q35 guest, 16 GiB, no type 17: installed memory from the two type-19 ranges,
    /// 2 GiB + 14 GiB = 17179869184 B; modules unknown, not an empty list that sums to 0.
    @Test func dmidecodeWithoutMemoryDevicesTakesTheMappedRanges() throws {
        let reading = DmidecodeTextReader.read(
            try CoreFixtures.text("hand-made/qemu-q35-16g-no-memory-devices.dmidecode.txt")
        )
        #expect(reading.memoryDevices.isEmpty)
        #expect(reading.mappedMemoryBytes == 17_179_869_184)
        #expect(reading.problems.isEmpty)
        let profile = Self.assemble(ProbeReadings(smbios: reading))
        #expect(profile.memory.installedBytes == 17_179_869_184)
        #expect(profile.sources["memory.installed"] == "dmidecode mapped ranges (type 19)")
        #expect(profile.memory.modules == nil)
        #expect(profile.memory.slots == nil)
        #expect(profile.memory.channelsPopulated == nil)
        #expect(profile.memory.theoreticalBandwidthBytesPerS == nil)
        #expect(
            profile.warnings.contains("SMBIOS lists no memory devices (type 17): memory modules and channels unknown")
        )
        #expect(profile.cpu?.cores == 4)
    }

    /// The same layout as raw structures (SMBIOS 3.7 §7.20): one range in KiB (0 to 0x1FFFFF
    /// inclusive, 2 GiB), one through the 64-bit extended addresses (0x1_0000_0000 to
    /// 0x4_7FFF_FFFF inclusive, 14 GiB).
    @Test func rawTableWithoutMemoryDevicesTakesTheMappedRanges() {
        var table = SMBIOSBuilder()
        table.structure(type: 16, length: 0x17, fields: [:], strings: [])
        table.structure(
            type: 19,
            length: 0x1F,
            fields: [0x04: SMBIOSBuilder.dword(0), 0x08: SMBIOSBuilder.dword(0x1F_FFFF)],
            strings: []
        )
        table.structure(
            type: 19,
            length: 0x1F,
            fields: [
                0x04: SMBIOSBuilder.dword(0xFFFF_FFFF), 0x08: SMBIOSBuilder.dword(0xFFFF_FFFF),
                0x0F: SMBIOSBuilder.qword(0x1_0000_0000), 0x17: SMBIOSBuilder.qword(0x4_7FFF_FFFF),
            ],
            strings: []
        )
        table.end()
        let result = SMBIOSTableDecoder.decode(table.bytes)
        #expect(result.problems.isEmpty)
        #expect(result.reading.mappedMemoryBytes == 17_179_869_184)
        let profile = Self.assemble(ProbeReadings(smbios: result.reading))
        #expect(profile.memory.installedBytes == 17_179_869_184)
        #expect(profile.memory.modules == nil)
    }

    /// Neither devices nor ranges: installed memory is unknown, never 0.
    @Test func neitherDevicesNorRangesIsUnknownNotZero() {
        var table = SMBIOSBuilder()
        table.structure(type: 16, length: 0x17, fields: [:], strings: [])
        table.end()
        let reading = SMBIOSTableDecoder.decode(table.bytes).reading
        #expect(reading.mappedMemoryBytes == nil)
        let text = DmidecodeTextReader.read(
            "Handle 0x1000, DMI type 16, 23 bytes\nPhysical Memory Array\n\tUse: System Memory\n"
        )
        for smbios in [reading, text] {
            let profile = Self.assemble(ProbeReadings(smbios: smbios))
            #expect(profile.memory.installedBytes == nil)
            #expect(profile.memory.modules == nil)
        }
    }

    /// Devices listed with every size known win over the ranges; one unknown size makes their
    /// sum a lie, so the ranges answer.
    @Test func devicesWinUnlessASizeIsUnknown() {
        let device = { (size: Int64?) in MemoryDeviceRecord(locator: "DIMM_A1", sizeBytes: size) }
        let known = SMBIOSReading(
            memoryDevices: [device(8 << 30), device(0)],
            processors: [],
            mappedMemoryBytes: 9 << 30,
            source: "smbios"
        )
        #expect(Self.assemble(ProbeReadings(smbios: known)).memory.installedBytes == 8 << 30)
        var unknown = known
        unknown.memoryDevices.append(device(nil))
        #expect(Self.assemble(ProbeReadings(smbios: unknown)).memory.installedBytes == 9 << 30)
    }

    // MARK: DIMM_P0_A0 slot names

    /// Gigabyte EPYC 7003 board: 8 × 64 GB DDR4-3200 in DIMM_P0_A0 … DIMM_P0_H0 (bank locator
    /// only `BANK 0`): 8 channels stated by the names, 8 × 8 B × 3200 MT/s = 204.8 GB/s.
    @Test func socketFirstSlotNamesStateTheirChannels() throws {
        let reading = DmidecodeTextReader.read(
            try CoreFixtures.text("hand-made/gigabyte-epyc7003-8x64g-ddr4-3200-dimm-p0.dmidecode.txt")
        )
        #expect(reading.problems.isEmpty)
        let a = MemoryChannelAnalyzer.analyze(reading.memoryDevices)
        #expect(a.slots == 16)
        #expect(a.modules?.count == 8)
        #expect(a.modules?.map(\.channel) == ["P0/A", "P0/B", "P0/C", "P0/D", "P0/E", "P0/F", "P0/G", "P0/H"])
        #expect(a.mapping == .stated)
        #expect(a.channelsPopulated == 8)
        #expect(a.theoreticalBandwidthBytesPerS == 204_800_000_000)
        #expect(
            a.sockets == [
                SocketMemoryFacts(socket: 0, channelsPopulated: 8, theoreticalBandwidthBytesPerS: 204_800_000_000)
            ]
        )
        #expect(a.installedBytes == 549_755_813_888)
        #expect(reading.mappedMemoryBytes == 549_755_813_888)
    }

    /// The second socket carries on the letters (`DIMM_P1_I0`); two DIMMs on one channel
    /// (`A0`, `A1`) add capacity, not bandwidth.
    @Test func socketFirstSlotNamesOnTwoSockets() {
        let dimm = { (locator: String) in
            MemoryDeviceRecord(
                locator: locator,
                bankLocator: "BANK 0",
                sizeBytes: 32 << 30,
                type: "DDR4",
                configuredSpeedMts: 3200,
                dataWidthBits: 64
            )
        }
        let a = MemoryChannelAnalyzer.analyze(["DIMM_P0_A0", "DIMM_P0_A1", "DIMM_P0_B0", "DIMM_P1_I0"].map(dimm))
        #expect(a.mapping == .stated)
        #expect(a.modules?.map(\.channel) == ["P0/A", "P0/A", "P0/B", "P1/I"])
        #expect(a.channelsPopulated == 3)
        #expect(a.sockets.map(\.channelsPopulated) == [2, 1])
    }

    /// The styles that worked before still do.
    @Test(arguments: [
        ("CPU0_DIMM_A1", "NODE 0", "P0/A"), ("P1-DIMMA1", "BANK 0", "P1/A"), ("DIMM_A1", "P0 CHANNEL A", "P0/A"),
        ("ChannelA-DIMM0", "BANK 0", "A"), ("Controller1-DIMMB2", "BANK 0", "MC1/B"),
    ])
    func otherSlotStylesKeepTheirChannels(_ locator: String, _ bank: String, _ channel: String) {
        let a = MemoryChannelAnalyzer.analyze([
            MemoryDeviceRecord(locator: locator, bankLocator: bank, sizeBytes: 16 << 30, dataWidthBits: 64)
        ])
        #expect(a.mapping == .stated)
        #expect(a.modules?.first?.channel == channel)
    }

    // MARK: GPU memory as NUMA nodes in hwloc 1 files

    /// AC922 (Lassen) in hwloc 1.11: nodes 252–255 (no CPUs, 16911433728 B each) are the V100s'
    /// HBM2, not host RAM: host nodes 0 and 8 only, 274266980352 B, distances from the 6 × 6 SLIT.
    @Test func hwloc1GPUMemoryNodesAreNotHostMemory() throws {
        let t = try HwlocXMLDecoder.decode(
            try CoreFixtures.data("hand-made/ibm-ac922-power9-4xv100-gpu-numa-hwloc1.xml")
        )
        #expect(t.problems.isEmpty)
        #expect(t.numaNodes.map(\.id) == [0, 8])
        #expect(t.numaNodes.map(\.memoryBytes) == [137_100_066_816, 137_166_913_536] as [Int64?])
        #expect(t.numaNodes.map(\.distances) == [[10, 40], [40, 10]])
        #expect(t.gpuMemoryNodes.map(\.osIndex) == [252, 253, 254, 255])
        #expect(t.gpuMemoryNodes.allSatisfy { $0.bytes == 16_911_433_728 && $0.pciAddress == nil })
        #expect(t.packages == 2)
        #expect(t.cores == 4)
        #expect(t.threads == 16)

        // /proc/meminfo of such a node counts the GPU memory in MemTotal: 274266980352 +
        // 4 × 16911433728 = 341912715264 B = 333899136 kB.
        let meminfo = MeminfoParser.parse("MemTotal: 333899136 kB\nMemAvailable: 300000000 kB\n")
        let profile = Self.assemble(ProbeReadings(topology: t, meminfo: meminfo))
        #expect(profile.numaNodes?.map(\.id) == [0, 8])
        #expect(profile.numaNodes?.compactMap(\.memoryBytes).reduce(0, +) == 274_266_980_352)
        #expect(profile.gpuMemoryNodes?.map(\.id) == [252, 253, 254, 255])
        #expect(profile.gpuMemoryNodes?.allSatisfy { $0.memoryKind == "gpu" && $0.cpus.isEmpty } == true)
        #expect(profile.memory.totalBytes == 274_266_980_352)
        #expect(profile.gpus?.count == 4)
        #expect(profile.gpus?.map(\.numaNode) == [0, 0, 8, 8])
        #expect(profile.gpus?.allSatisfy { $0.memorySource == "table" } == true)
        #expect(throws: Never.self) { try profile.validated() }
    }

    /// CPU-less nodes elsewhere stay host memory: KNL's MCDRAM (x86, no NVIDIA GPU) and a POWER9
    /// export without its PCI tree (PowerVM partitions have memory-only nodes too).
    @Test func cpuLessNodesWithoutTheGPUEvidenceStayHostMemory() throws {
        let knl = try HwlocXMLDecoder.decode(try CoreFixtures.data("hwloc-xml/mpibind-knl-snc4-flat-hwloc1.xml"))
        #expect(knl.gpuMemoryNodes.isEmpty)
        #expect(knl.numaNodes.count == 8)

        let xml = try CoreFixtures.text("hand-made/ibm-ac922-power9-4xv100-gpu-numa-hwloc1.xml")
            .replacingOccurrences(of: "[10de:1db1]", with: "[1a03:2000]")
            .replacingOccurrences(of: "0302 [", with: "0300 [")
        let withoutGPUs = try HwlocXMLDecoder.decode(Data(xml.utf8))
        #expect(withoutGPUs.gpuMemoryNodes.isEmpty)
        #expect(withoutGPUs.numaNodes.map(\.id) == [0, 8, 252, 253, 254, 255])
    }

    /// hwloc 2 names GPU memory itself (`subtype="GPUMemory"` with its GPU's `PCIBusID`): the same
    /// outcome, and the GPU's memory comes from its node.
    @Test func hwloc2GPUMemoryNodesAreTaggedTheSameWay() throws {
        let xml = """
            <topology version="2.0">
              <object type="Machine" os_index="0" cpuset="0x00000001" nodeset="0x00000001">
                <info name="Architecture" value="ppc64le"/>
                <object type="Package" os_index="0" cpuset="0x00000001">
                  <object type="NUMANode" os_index="0" cpuset="0x00000001" nodeset="0x00000001" local_memory="137100066816"/>
                  <object type="Core" os_index="0" cpuset="0x00000001"><object type="PU" os_index="0" cpuset="0x00000001"/></object>
                </object>
                <object type="NUMANode" os_index="255" cpuset="0x0" subtype="GPUMemory" local_memory="16106127360">
                  <info name="PCIBusID" value="0004:05:00.0"/>
                </object>
              </object>
            </topology>
            """
        let t = try HwlocXMLDecoder.decode(Data(xml.utf8))
        #expect(t.numaNodes.map(\.id) == [0])
        #expect(
            t.gpuMemoryNodes == [
                TopologyFacts.GPUMemoryNode(osIndex: 255, pciAddress: "0004:05:00.0", bytes: 16_106_127_360)
            ]
        )
        let profile = Self.assemble(ProbeReadings(topology: t))
        #expect(profile.gpuMemoryNodes?.map(\.memoryKind) == ["gpu"])
        #expect(profile.gpus?.first?.memoryBytes == 16_106_127_360)
        #expect(profile.gpus?.first?.memorySource == "numa_node")
    }
}

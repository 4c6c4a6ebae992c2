import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// canrun's raw SMBIOS decoder against the reference decoder, dmidecode, on the same bytes:
/// the raw type-17 entries recorded on a Dell DCS8000Z (Tests/Fixtures, hwloc-fsroot), wrapped
/// in the `dmidecode --dump-bin` file format canrun's replay also reads.
struct SMBIOSCrossCheckTests {
    static let dmidecode = ["/usr/sbin/dmidecode", "/sbin/dmidecode"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    /// An SMBIOS 3.0 entry point (24 bytes, checksummed) followed, at 0x20, by the table.
    static func dumpFile(table: [UInt8]) -> [UInt8] {
        var entry = [UInt8](repeating: 0, count: 0x20)
        entry.replaceSubrange(0..<5, with: Array("_SM3_".utf8))
        entry[6] = 0x18
        entry[7] = 3
        entry[8] = 0
        entry[10] = 1
        let length = UInt32(table.count)
        for i in 0..<4 { entry[0x0C + i] = UInt8((length >> (8 * UInt32(i))) & 0xFF) }
        entry[0x10] = 0x20
        let sum = entry[0..<0x18].reduce(UInt8(0)) { $0 &+ $1 }
        entry[5] = 0 &- sum
        return entry + table
    }

    static func rawEntries() throws -> [UInt8] {
        let tree = try FixtureFiles.unpack("hwloc-fsroot/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")
        defer { FixtureFiles.remove(tree) }
        let base = tree + "/32em64t-2n8c+1mic/sys/firmware/dmi/entries"
        var bytes: [UInt8] = []
        for index in 0..<24 {
            bytes += Array(try Data(contentsOf: URL(fileURLWithPath: "\(base)/17-\(index)/raw")))
        }
        return bytes + [127, 4, 0xFF, 0xFE, 0, 0]
    }

    @Test func dumpFilesReplay() throws {
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        let path = folder + "/dmi.bin"
        try Data(Self.dumpFile(table: try Self.rawEntries())).write(to: URL(fileURLWithPath: path))
        let profile = ProfileAssembler.assemble(try ReplaySource.read(path), gpuTable: FixtureFiles.gpuTable)
        #expect(profile.memory.slots == 24)
        #expect(profile.memory.modules?.count == 8)
        #expect(profile.memory.theoreticalBandwidthBytesPerS == 102_400_000_000)
        #expect(SMBIOSDumpFile.table(Array("_SM3_ short".utf8)) == nil)
    }

    @Test(.enabled(if: dmidecode != nil, "needs dmidecode (scripts/bootstrap.sh installs it)"))
    func rawDecoderAgreesWithDmidecode() throws {
        let raw = try Self.rawEntries()
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        let path = folder + "/dmi.bin"
        try Data(Self.dumpFile(table: raw)).write(to: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.dmidecode))
        process.arguments = ["--from-dump", path, "-t", "17"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let reference = DmidecodeTextReader.read(String(decoding: output, as: UTF8.self)).memoryDevices
        let ours = SMBIOSTableDecoder.decode(raw).reading.memoryDevices
        #expect(reference.count == 24)
        #expect(ours.count == reference.count)
        for (a, b) in zip(ours, reference) {
            #expect(a.locator == b.locator)
            #expect(a.sizeBytes == b.sizeBytes)
            #expect(a.type == b.type)
            #expect(a.speedMts == b.speedMts)
            #expect(a.configuredSpeedMts == b.configuredSpeedMts)
            #expect(a.dataWidthBits == b.dataWidthBits)
            #expect(a.totalWidthBits == b.totalWidthBits)
            #expect(a.formFactor == b.formFactor)
            #expect(a.partNumber == b.partNumber)
        }
    }
}

/// The DRM readers on hand-made trees with the files the drivers publish.
struct DRMSysfsReaderTests {
    private func write(_ files: [String: String]) throws -> String {
        let root = try FixtureFiles.temporaryFolder()
        for (path, content) in files {
            let url = URL(fileURLWithPath: root + path)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(),
                withIntermediateDirectories: true
            )
            try Data(content.utf8).write(to: url)
        }
        return root
    }

    /// xe: `tile*/physical_vram_size_bytes` (decimal bytes), summed over tiles.
    @Test func readsIntelXe() throws {
        let root = try write([
            "/sys/class/drm/card1/device/uevent": "DRIVER=xe\nPCI_ID=8086:E20B\nPCI_SLOT_NAME=0000:03:00.0\n",
            "/sys/class/drm/card1/device/tile0/physical_vram_size_bytes": "12884901888\n",
        ])
        defer { FixtureFiles.remove(root) }
        let readings = DRMSysfsReader.read(root: HostRoot(root))
        #expect(readings.count == 1)
        #expect(readings.first?.memoryBytes == Int64(12_884_901_888))
        #expect(readings.first?.source == "xe_sysfs")
        #expect(readings.first?.pciAddress == "0000:03:00.0")
        #expect(readings.first?.deviceId == 0xE20B)
    }

    /// A corrupt or truncated value is no reading, not a wrong number.
    @Test func corruptValuesAreIgnored() throws {
        let root = try write([
            "/sys/class/drm/card0/device/uevent": "DRIVER=amdgpu\nPCI_SLOT_NAME=0000:0a:00.0\n",
            "/sys/class/drm/card0/device/mem_info_vram_total": "17163091\u{0}968garbage",
            "/sys/class/drm/card0-DP-1/status": "connected",
        ])
        defer { FixtureFiles.remove(root) }
        #expect(DRMSysfsReader.read(root: HostRoot(root)).isEmpty)
    }

    @Test func amdgpuReportsFreeAndGTT() throws {
        let root = try write([
            "/sys/class/drm/card0/device/uevent": "DRIVER=amdgpu\nPCI_ID=1002:744C\nPCI_SLOT_NAME=0000:0a:00.0\n",
            "/sys/class/drm/card0/device/mem_info_vram_total": "25753026560\n",
            "/sys/class/drm/card0/device/mem_info_vram_used": "753026560\n",
            "/sys/class/drm/card0/device/mem_info_gtt_total": "33554432000\n",
        ])
        defer { FixtureFiles.remove(root) }
        let reading = try #require(DRMSysfsReader.read(root: HostRoot(root)).first)
        #expect(reading.memoryFreeBytes == Int64(25_000_000_000))
        #expect(reading.gttBytes == Int64(33_554_432_000))
        #expect(reading.vendorId == 0x1002)
        #expect(reading.powerLimitW == nil)
    }

    /// amdgpu's `hwmon/hwmon*/power1_cap` is the power the board may draw now, in microwatts: a
    /// 7900 XTX capped at 300 W of its 355; a cap no board has is none.
    @Test(arguments: [("300000000\n", 300.0 as Double?), ("0\n", nil), ("99000000000000\n", nil)])
    func amdgpuReportsItsPowerCap(_ microwatts: String, _ watts: Double?) throws {
        let root = try write([
            "/sys/class/drm/card0/device/uevent": "DRIVER=amdgpu\nPCI_ID=1002:744C\nPCI_SLOT_NAME=0000:0a:00.0\n",
            "/sys/class/drm/card0/device/mem_info_vram_total": "25753026560\n",
            "/sys/class/drm/card0/device/hwmon/hwmon3/power1_cap": microwatts,
        ])
        defer { FixtureFiles.remove(root) }
        #expect(try #require(DRMSysfsReader.read(root: HostRoot(root)).first).powerLimitW == watts)
    }
}

/// Non-root users cannot read the raw table; udev's database (`/run/udev/data/+dmi:id`) holds
/// what `dmi_memory_id` decoded from it at boot.
struct SMBIOSSourceTests {
    @Test func fallsBackToUdevsDatabase() throws {
        let root = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(root) }
        let path = root + "/run/udev/data/+dmi:id"
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        let database = (0..<2).map { i in
            """
            E:MEMORY_DEVICE_\(i)_SIZE=34359738368
            E:MEMORY_DEVICE_\(i)_TYPE=DDR5
            E:MEMORY_DEVICE_\(i)_CONFIGURED_SPEED_MTS=6400
            E:MEMORY_DEVICE_\(i)_DATA_WIDTH=64
            E:MEMORY_DEVICE_\(i)_LOCATOR=Controller\(i)-DIMM\(i == 0 ? "A" : "B")2
            E:MEMORY_DEVICE_\(i)_SERIAL_NUMBER=SECRET\(i)
            """
        }.joined(separator: "\n")
        try Data(database.utf8).write(to: URL(fileURLWithPath: path))
        let result = SMBIOSSource.read(root: HostRoot(root))
        #expect(result.reading?.source == "udev")
        let analysis = MemoryChannelAnalyzer.analyze(try #require(result.reading).memoryDevices)
        #expect(analysis.channelsPopulated == 2)
        #expect(analysis.theoreticalBandwidthBytesPerS == 102_400_000_000)
        #expect(result.udevDatabase?.contains("SECRET0") == true)
    }
}

import CanrunCore
import Testing

/// SMBIOS sources (dmidecode text, the raw table, udev's database) that give values no machine
/// has: each such value is unknown, with a problem naming the source, the value and the bound
/// (`PhysicalBounds`), and never traps. Encodings from SMBIOS 3.7 §7.18 (type 17).
struct HostileSMBIOSTests {
    /// One dmidecode memory device with `line` in place of its normal field of the same name.
    static func dmidecode(_ line: String) -> String {
        var fields = [
            "Total Width": "72 bits", "Data Width": "64 bits", "Size": "16 GB", "Locator": "DIMM_A1",
            "Bank Locator": "P0 CHANNEL A", "Type": "DDR5", "Speed": "4800 MT/s", "Rank": "2",
            "Configured Memory Speed": "4800 MT/s",
        ]
        let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
        fields[parts[0]] = parts[1]
        let body = fields.keys.sorted().map { "\t\($0): \(fields[$0] ?? "")" }.joined(separator: "\n")
        return "Handle 0x0040, DMI type 17, 92 bytes\nMemory Device\n" + body + "\n"
    }

    struct Hostile: Sendable, CustomTestStringConvertible {
        var line: String
        var testDescription: String { line }

        /// The record's value for the field `line` sets.
        func value(_ d: MemoryDeviceRecord) -> Int64? {
            switch line.split(separator: ":")[0] {
            case "Speed": d.speedMts.map(Int64.init)
            case "Configured Memory Speed": d.configuredSpeedMts.map(Int64.init)
            case "Data Width": d.dataWidthBits.map(Int64.init)
            case "Total Width": d.totalWidthBits.map(Int64.init)
            case "Rank": d.rank.map(Int64.init)
            default: d.sizeBytes
            }
        }
    }

    /// Each becomes unknown with a problem quoting what dmidecode printed.
    static let hostileLines: [Hostile] = [
        .init(line: "Speed: 18446744073709551615 MT/s"),
        .init(line: "Speed: 9223372036854775807 MT/s"),
        .init(line: "Speed: -4800 MT/s"),
        .init(line: "Speed: 0 MT/s"),
        .init(line: "Configured Memory Speed: 65534 MT/s"),
        .init(line: "Data Width: 65534 bits"),
        .init(line: "Total Width: 99999999999999999999 bits"),
        .init(line: "Rank: 255"),
        // Sizes: Int64 holds the count but not the bytes, or the count itself overflows.
        .init(line: "Size: 99999999999999999 GB"),
        .init(line: "Size: 9223372036854775807 MB"),
        .init(line: "Size: 99999999999999999999999 kB"),
        .init(line: "Size: -16 GB"),
        .init(line: "Size: 8 PB"),
        .init(line: "Size: 1 ZB"),
    ]

    @Test(arguments: hostileLines)
    func dmidecodeValuesBeyondTheBoundsAreUnknownAndSaid(_ hostile: Hostile) throws {
        let reading = DmidecodeTextReader.read(Self.dmidecode(hostile.line))
        let device = try #require(reading.memoryDevices.first)
        #expect(hostile.value(device) == nil)
        #expect(reading.problems.count == 1)
        let written = String(hostile.line.split(separator: ":", maxSplits: 1)[1].dropFirst())
        #expect(reading.problems.first?.contains(written) == true, "\(reading.problems)")
        #expect(reading.problems.first?.contains("physical bound") == true)
        #expect(reading.problems.first?.contains("dmidecode handle 0x0040") == true)
        // The other fields are untouched.
        #expect(device.locator == "DIMM_A1")
    }

    /// The largest DIMM the bound admits (4 TiB) and placeholders are no problem.
    @Test func boundaryAndPlaceholderValuesAreNoProblem() {
        let reading = DmidecodeTextReader.read(
            Self.dmidecode("Size: 4 TB") + Self.dmidecode("Speed: Unknown")
                + Self.dmidecode("Size: No Module Installed")
        )
        #expect(reading.problems.isEmpty)
        #expect(reading.memoryDevices.map(\.sizeBytes) == [Int64(4) << 40, 16 << 30, 0])
        #expect(reading.memoryDevices[1].speedMts == nil)
    }

    /// "core count Int64.max": two sockets of it once overflowed the sum of cores and trapped.
    @Test func absurdCoreCountsAreUnknownAndNeverSummed() {
        let socket = { (designation: String, cores: String) in
            "Handle 0x00\(designation), DMI type 4, 48 bytes\nProcessor Information\n\tSocket Designation: CPU\(designation)\n"
                + "\tStatus: Populated, Enabled\n\tCore Count: \(cores)\n\tThread Count: \(cores)\n"
        }
        let absurd = DmidecodeTextReader.read(socket("50", "9223372036854775807") + socket("51", "9223372036854775807"))
        #expect(absurd.processors.map(\.coreCount) == [nil, nil])
        #expect(absurd.problems.count == 4)
        let profile = ProfileAssembler.assemble(
            ProbeReadings(smbios: absurd),
            gpuTable: CoreFixtures.gpuTable
        )
        #expect(profile.cpu?.packages == 2)
        #expect(profile.cpu?.cores == nil)
        #expect(profile.warnings.contains { $0.contains("9223372036854775807") })

        // Each within the bound, the sum not: 2 × 40000 cores > 65536.
        let large = DmidecodeTextReader.read(socket("50", "40000") + socket("51", "40000"))
        #expect(large.problems.isEmpty)
        let summed = ProfileAssembler.assemble(ProbeReadings(smbios: large), gpuTable: CoreFixtures.gpuTable)
        #expect(summed.cpu?.cores == nil)
        #expect(summed.warnings.contains { $0.contains("SMBIOS sockets: cores 80000 is outside") })
    }

    /// A single device whose size was rejected may hold a module: modules unknown, not "none".
    @Test func aRejectedSizeLeavesModulesUnknownNotNone() {
        let reading = DmidecodeTextReader.read(Self.dmidecode("Size: 99999999999999999 GB"))
        let profile = ProfileAssembler.assemble(ProbeReadings(smbios: reading), gpuTable: CoreFixtures.gpuTable)
        #expect(profile.memory.modules == nil)
        #expect(profile.memory.installedBytes == nil)
        #expect(
            profile.warnings.contains(
                "SMBIOS gives no usable size for 1 of its 1 memory devices: memory modules unknown"
            )
        )
    }

    /// Data and total width 0xFFFF are "unknown" per the specification; 0xFFFE is no width a
    /// device has. Both unknown; only the second is a problem.
    @Test func rawWidthsAtTheirMaximaAreUnknown() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 16384, dataWidth: 0xFFFF, totalWidth: 0xFFFF)
        table.memoryDevice(sizeWord: 16384, dataWidth: 0xFFFE, totalWidth: 0xFFFE)
        let reading = SMBIOSTableDecoder.decode(table.bytes).reading
        #expect(reading.memoryDevices.map(\.dataWidthBits) == [nil, nil])
        #expect(reading.memoryDevices.map(\.totalWidthBits) == [nil, nil])
        #expect(reading.problems.count == 2)
        #expect(reading.problems.allSatisfy { $0.contains("65534") && $0.contains("1…1024 bits") })
        #expect(reading.problems.first?.contains("SMBIOS type 17 at byte ") == true)
        #expect(reading.problems.first?.contains(" (DIMM_A1) data width: memory device width 65534") == true)
    }

    /// Size 0x7FFF points to Extended Size, bits 0–30 in MiB: at most 2^31 − 1 MiB (2 PiB), far
    /// beyond any DIMM; exactly 4 TiB is the bound's edge and passes.
    @Test func rawExtendedSizeAtItsMaximumIsUnknown() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 0x7FFF, extendedMiB: 0xFFFF_FFFF)
        table.memoryDevice(sizeWord: 0x7FFF, extendedMiB: 4 << 20)
        let reading = SMBIOSTableDecoder.decode(table.bytes).reading
        #expect(reading.memoryDevices.map(\.sizeBytes) == [nil, Int64(4) << 40])
        #expect(
            reading.problems == [
                "SMBIOS type 17 at byte 0: memory device size 2147483647 MiB (Extended Size) is outside the physical bound 0…4398046511104 bytes; treated as unknown"
            ]
        )
    }

    /// Speed 0xFFFF points to Extended Speed (SMBIOS 3.3+); at its maximum (0x7FFFFFFF after the
    /// reserved bit) it is unknown; 0xFFFE in the word itself too.
    @Test func rawSpeedsAtTheirMaximaAreUnknown() {
        var table = SMBIOSBuilder()
        table.memoryDevice(
            sizeWord: 16384,
            speed: 0xFFFF,
            configured: 0xFFFE,
            extendedSpeed: 0xFFFF_FFFF,
            extendedConfigured: 0
        )
        let reading = SMBIOSTableDecoder.decode(table.bytes).reading
        #expect(reading.memoryDevices.first?.speedMts == nil)
        #expect(reading.memoryDevices.first?.configuredSpeedMts == nil)
        #expect(reading.problems.count == 2)
        #expect(
            reading.problems.contains { $0.contains("(DIMM_A1) speed: memory transfer rate 2147483647 is outside") }
        )
        #expect(reading.problems.contains { $0.contains("configured speed: memory transfer rate 65534 is outside") })
    }

    /// A structure cut before its fields and string indexes past the string set: unknown fields,
    /// no trap, nothing made up.
    @Test func truncatedStructuresAndDanglingStringsAreUnknown() {
        var table = SMBIOSBuilder()
        table.structure(type: 17, length: 0x0B, fields: [0x08: SMBIOSBuilder.word(72)], strings: [])
        table.structure(
            type: 17,
            length: 0x22,
            fields: [0x0C: SMBIOSBuilder.word(8192), 0x10: [9], 0x11: [200], 0x17: [255]],
            strings: ["only one"]
        )
        let reading = SMBIOSTableDecoder.decode(table.bytes).reading
        #expect(reading.memoryDevices.count == 2)
        #expect(reading.memoryDevices[0].sizeBytes == nil)
        #expect(reading.memoryDevices[0].dataWidthBits == nil)
        #expect(reading.memoryDevices[0].totalWidthBits == 72)
        #expect(reading.memoryDevices[1].sizeBytes == 8 << 30)
        #expect(reading.memoryDevices[1].locator == nil)
        #expect(reading.memoryDevices[1].bankLocator == nil)
        #expect(reading.memoryDevices[1].manufacturer == nil)
        #expect(reading.problems.isEmpty)
    }

    /// A mapped range whose end lies before its start is no range: unknown, said, not negative.
    @Test func rawMappedRangeEndingBeforeItStartsIsUnknown() {
        var table = SMBIOSBuilder()
        table.structure(
            type: 19,
            length: 0x1F,
            fields: [0x04: SMBIOSBuilder.dword(0x20_0000), 0x08: SMBIOSBuilder.dword(0x1F_FFFF)],
            strings: []
        )
        let reading = SMBIOSTableDecoder.decode(table.bytes).reading
        #expect(reading.mappedMemoryBytes == nil)
        #expect(reading.problems.count == 1)
        #expect(reading.problems.first?.contains("from KiB 2097152 to 2097151") == true)
    }

    /// Random tables of type 4, 17 and 19 structures of random lengths and contents: the decoder
    /// and the channel analysis are total (a trap would end the test run), and every value they
    /// keep is within its bound. Deterministic: a fixed-seed generator.
    @Test func randomTablesNeverTrapAndKeepOnlyBoundedValues() {
        var random = SplitMix64(seed: 0x5EED)
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int(random.next() % 6) {
                let type: UInt8 = [4, 17, 19, 16][Int(random.next() % 4)]
                let length = Int(random.next() % 0x60) + 4
                bytes += [type, UInt8(length), 0, 0]
                bytes += (4..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes += (0..<Int(random.next() % 3)).flatMap { _ in Array("S\(random.next() % 10)".utf8) + [0] }
                bytes += [0, 0]
            }
            if random.next() % 4 == 0 { bytes = Array(bytes.dropLast(Int(random.next() % 8))) }
            let reading = SMBIOSTableDecoder.decode(bytes).reading
            for d in reading.memoryDevices {
                #expect(d.sizeBytes.map(PhysicalBounds.moduleBytes.contains) ?? true)
                #expect(d.speedMts.map(PhysicalBounds.transferRateMts.contains) ?? true)
                #expect(d.configuredSpeedMts.map(PhysicalBounds.transferRateMts.contains) ?? true)
                #expect(d.dataWidthBits.map(PhysicalBounds.memoryWidthBits.contains) ?? true)
            }
            #expect(reading.mappedMemoryBytes.map(PhysicalBounds.memoryBytes.contains) ?? true)
            let analysis = MemoryChannelAnalyzer.analyze(reading.memoryDevices)
            #expect(analysis.theoreticalBandwidthBytesPerS.map(PhysicalBounds.bytesPerS.contains) ?? true)
        }
    }

    /// udev's database holds what `dmi_memory_id` printed: a size of 2^63 − 1 or a speed that
    /// is no integer are unknown, with problems.
    @Test func udevValuesBeyondTheBoundsAreUnknown() throws {
        let text = """
            E:MEMORY_DEVICE_0_SIZE=9223372036854775807
            E:MEMORY_DEVICE_0_SPEED_MTS=99999999999999999999
            E:MEMORY_DEVICE_0_DATA_WIDTH=64
            E:MEMORY_DEVICE_0_LOCATOR=DIMM_A1
            """
        let reading = try #require(UdevMemoryReader.read(text))
        #expect(reading.memoryDevices.first?.sizeBytes == nil)
        #expect(reading.memoryDevices.first?.speedMts == nil)
        #expect(reading.memoryDevices.first?.dataWidthBits == 64)
        #expect(reading.problems.count == 2)
        #expect(reading.problems.contains { $0.contains("udev MEMORY_DEVICE_0") && $0.contains("9223372036854775807") })
    }
}

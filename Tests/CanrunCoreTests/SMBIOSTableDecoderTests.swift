import CanrunCore
import Testing

/// Field offsets and encodings from the SMBIOS 3.7 specification, §7.18 (type 17) and §7.5 (type 4).
struct SMBIOSTableDecoderTests {
    @Test func decodesAMemoryDevice() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 16384, configured: 6000, locator: "DIMMA2", bank: "P0 CHANNEL A")
        table.end()
        let result = SMBIOSTableDecoder.decode(table.bytes)
        #expect(result.problems.isEmpty)
        let device = result.reading.memoryDevices.first
        #expect(result.reading.memoryDevices.count == 1)
        #expect(device?.sizeBytes == 16 << 30)
        #expect(device?.type == "DDR5")
        #expect(device?.formFactor == "DIMM")
        #expect(device?.speedMts == 4800)
        #expect(device?.configuredSpeedMts == 6000)
        #expect(device?.dataWidthBits == 64)
        #expect(device?.totalWidthBits == 72)
        #expect(device?.locator == "DIMMA2")
        #expect(device?.bankLocator == "P0 CHANNEL A")
        #expect(device?.manufacturer == "Samsung")
        #expect(device?.partNumber == "M321R4GA3BB6-CQK")
        #expect(device?.rank == 2)
        #expect(device?.typeDetail == ["Synchronous"])
    }

    /// Size 0x7FFF means "see Extended Size" (MiB, bits 0–30); bit 15 set means KiB units.
    @Test func decodesSizeEncodings() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 0x7FFF, extendedMiB: 98304)
        table.memoryDevice(sizeWord: 0x8000 | 512)
        table.memoryDevice(sizeWord: 0)
        table.memoryDevice(sizeWord: 0xFFFF)
        let sizes = SMBIOSTableDecoder.decode(table.bytes).reading.memoryDevices.map(\.sizeBytes)
        #expect(sizes == [Int64(96) << 30, 512 * 1024, 0, nil] as [Int64?])
    }

    /// Speeds of 0xFFFF live in the 32-bit Extended Speed fields (SMBIOS 3.3+). (Any firmware
    /// may use them; 12800 and 10400 MT/s are within the physical bound, unlike the 70000 this
    /// test once used.)
    @Test func decodesExtendedSpeeds() {
        var table = SMBIOSBuilder()
        table.memoryDevice(
            sizeWord: 65535 - 1,
            speed: 0xFFFF,
            configured: 0xFFFF,
            extendedSpeed: 12800,
            extendedConfigured: 10400
        )
        let device = SMBIOSTableDecoder.decode(table.bytes).reading.memoryDevices.first
        #expect(device?.speedMts == 12800)
        #expect(device?.configuredSpeedMts == 10400)
    }

    /// Tables older than SMBIOS 2.7 end before Configured Speed (0x20): the field is unknown.
    @Test func shortStructuresLeaveLaterFieldsUnknown() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 4096, type: 0x18, length: 0x1C)
        let device = SMBIOSTableDecoder.decode(table.bytes).reading.memoryDevices.first
        #expect(device?.type == "DDR3")
        #expect(device?.sizeBytes == 4 << 30)
        #expect(device?.configuredSpeedMts == nil)
    }

    @Test func emptyStringSetsDoNotEndTheWalkEarly() {
        var table = SMBIOSBuilder()
        table.structure(type: 16, length: 0x17, fields: [:], strings: [])
        table.memoryDevice(sizeWord: 8192)
        #expect(SMBIOSTableDecoder.decode(table.bytes).reading.memoryDevices.count == 1)
    }

    @Test func truncatedTableKeepsWhatCameBeforeAndSaysSo() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 8192)
        table.memoryDevice(sizeWord: 8192)
        let cut = Array(table.bytes.dropLast(40))
        let result = SMBIOSTableDecoder.decode(cut)
        #expect(result.reading.memoryDevices.count == 1)
        #expect(result.problems.count == 1)
        #expect(result.problems.first?.contains("truncated") == true)
    }

    @Test func corruptLengthIsReportedNotTrusted() {
        let result = SMBIOSTableDecoder.decode([17, 2, 0, 0, 0, 0])
        #expect(result.reading.memoryDevices.isEmpty)
        #expect(result.problems.first?.contains("corrupt") == true)
    }

    @Test(arguments: [[UInt8](), [0x11], [0xFF, 0xFF, 0xFF]])
    func tinyOrRandomInputNeverCrashes(_ bytes: [UInt8]) {
        #expect(SMBIOSTableDecoder.decode(bytes).reading.memoryDevices.isEmpty)
    }

    /// Core Count 0xFF points to Core Count 2 at 0x2A (SMBIOS 3.0+), as on 128-core parts.
    @Test func decodesProcessorsWithManyCores() {
        var table = SMBIOSBuilder()
        table.structure(
            type: 4,
            length: 0x30,
            fields: [
                0x04: [1], 0x07: [2], 0x10: [3], 0x18: [0x41], 0x23: [0xFF], 0x25: [0xFF],
                0x2A: SMBIOSBuilder.word(128), 0x2E: SMBIOSBuilder.word(256),
            ],
            strings: ["CPU0", "Intel(R) Corporation", "Intel(R) Xeon(R) 6980P"]
        )
        table.structure(type: 4, length: 0x30, fields: [0x04: [1], 0x18: [0x00]], strings: ["CPU1"])
        let processors = SMBIOSTableDecoder.decode(table.bytes).reading.processors
        #expect(processors.count == 2)
        #expect(processors[0].populated)
        #expect(processors[0].coreCount == 128)
        #expect(processors[0].threadCount == 256)
        #expect(processors[0].version == "Intel(R) Xeon(R) 6980P")
        #expect(!processors[1].populated)
    }

    @Test func scrubberBlanksSerialsAndKeepsTheTableDecodable() {
        var table = SMBIOSBuilder()
        table.memoryDevice(sizeWord: 16384, serial: "S3CR3T")
        table.structure(
            type: 1,
            length: 0x1B,
            fields: [0x07: [1], 0x08: Array(repeating: 0xAB, count: 16)],
            strings: ["SYSSERIAL9"]
        )
        table.end()
        let scrubbed = SMBIOSScrubber.scrub(table.bytes)
        #expect(scrubbed.count == table.bytes.count)
        let text = String(decoding: scrubbed, as: UTF8.self)
        #expect(!text.contains("S3CR3T"))
        #expect(!text.contains("SYSSERIAL9"))
        #expect(!scrubbed.contains(0xAB))
        let before = SMBIOSTableDecoder.decode(table.bytes).reading
        let after = SMBIOSTableDecoder.decode(scrubbed).reading
        #expect(before == after)
    }
}

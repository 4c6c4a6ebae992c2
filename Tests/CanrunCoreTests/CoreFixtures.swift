import CanrunCore
import Foundation

/// Paths into `Tests/Fixtures` and the repository's shipped data, for the pure-core tests.
enum CoreFixtures {
    static let repository: String = {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }()

    static func data(_ relative: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: repository + "/Tests/Fixtures/" + relative))
    }

    static func text(_ relative: String) throws -> String {
        String(decoding: try data(relative), as: UTF8.self)
    }

    /// A CSV fixture's records, header dropped and `#` comment lines skipped; empty when the
    /// file cannot be read (each suite asserts its row count, so that fails loudly).
    static func csv(_ relative: String) -> [[String]] {
        guard let text = try? text(relative) else { return [] }
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("#") }.joined(separator: "\n")
        return Array(CSVReader.rows(uncommented).dropFirst())
    }

    static let gpuTable: GPUTable = {
        let text = (try? String(contentsOfFile: repository + "/config/gpus.toml", encoding: .utf8)) ?? ""
        return (try? GPUTable(toml: text)) ?? GPUTable(entries: [])
    }()
}

/// Builds raw SMBIOS structures the way firmware lays them out (SMBIOS 3.7 §6.1.2): header,
/// formatted area, string set ending in a double NUL.
struct SMBIOSBuilder {
    private(set) var bytes: [UInt8] = []
    private var handle: UInt16 = 0x1000

    mutating func structure(type: UInt8, length: Int, fields: [Int: [UInt8]], strings: [String]) {
        var formatted = [UInt8](repeating: 0, count: length)
        formatted[0] = type
        formatted[1] = UInt8(length)
        formatted[2] = UInt8(handle & 0xFF)
        formatted[3] = UInt8(handle >> 8)
        handle += 1
        for (offset, value) in fields {
            for (i, byte) in value.enumerated() where offset + i < length { formatted[offset + i] = byte }
        }
        bytes += formatted
        if strings.isEmpty {
            bytes += [0, 0]
        } else {
            for s in strings { bytes += Array(s.utf8) + [0] }
            bytes += [0]
        }
    }

    static func word(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func dword(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
    static func qword(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }

    /// A type-17 device of SMBIOS 3.2+ length (0x54 bytes before extended speeds, 0x5C with).
    mutating func memoryDevice(
        sizeWord: UInt16,
        extendedMiB: UInt32 = 0,
        type: UInt8 = 0x22,
        formFactor: UInt8 = 0x09,
        speed: UInt16 = 4800,
        configured: UInt16 = 4800,
        dataWidth: UInt16 = 64,
        totalWidth: UInt16 = 72,
        locator: String = "DIMM_A1",
        bank: String = "P0 CHANNEL A",
        serial: String = "SN12345",
        length: Int = 0x5C,
        extendedSpeed: UInt32 = 0,
        extendedConfigured: UInt32 = 0
    ) {
        structure(
            type: 17,
            length: length,
            fields: [
                0x08: Self.word(totalWidth), 0x0A: Self.word(dataWidth), 0x0C: Self.word(sizeWord), 0x0E: [formFactor],
                0x10: [1], 0x11: [2], 0x12: [type], 0x13: Self.word(1 << 7), 0x15: Self.word(speed), 0x17: [3],
                0x18: [4], 0x1A: [5], 0x1B: [2], 0x1C: Self.dword(extendedMiB), 0x20: Self.word(configured),
                0x54: Self.dword(extendedSpeed), 0x58: Self.dword(extendedConfigured),
            ],
            strings: [locator, bank, "Samsung", serial, "M321R4GA3BB6-CQK"]
        )
    }

    mutating func end() { structure(type: 127, length: 4, fields: [:], strings: []) }
}

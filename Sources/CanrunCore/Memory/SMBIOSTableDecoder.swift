import Foundation

/// Decodes a raw SMBIOS structure table (`/sys/firmware/dmi/tables/DMI`, `dmidecode --dump-bin`
/// without its entry point, or concatenated `/sys/firmware/dmi/entries/*/raw` files).
///
/// Each structure is a header (`type u8, length u8, handle u16`), `length` bytes of formatted
/// area, then a string set ending at the first double NUL. The walk stops at type 127 or at the
/// end of the bytes. A structure whose formatted area runs past the end is reported in
/// `problems`, and what came before it is kept.
public enum SMBIOSTableDecoder {
    /// The decoded facts and, in words, what was wrong with the bytes.
    public struct Result: Sendable, Equatable {
        public var reading: SMBIOSReading
        public var problems: [String]
    }

    /// `problems` says what was wrong with the table's structure; values no machine has (a
    /// width of 0xFFFE, an extended size of 2 PiB) are in the reading's own `problems`.
    public static func decode(_ bytes: [UInt8]) -> Result {
        var collected = Collected()
        var problems: [String] = []
        var offset = 0
        walk: while offset + 4 <= bytes.count {
            let type = bytes[offset]
            let length = Int(bytes[offset + 1])
            guard length >= 4 else {
                problems.append("SMBIOS structure at byte \(offset) declares length \(length) (< 4): table is corrupt")
                break
            }
            guard offset + length <= bytes.count else {
                problems.append("SMBIOS structure at byte \(offset) runs past the end of the table (truncated)")
                break
            }
            guard let stringsEnd = endOfStringSet(bytes, from: offset + length) else {
                problems.append("SMBIOS structure at byte \(offset) has an unterminated string set (truncated)")
                break
            }
            let structure = Structure(
                formatted: Array(bytes[offset..<(offset + length)]),
                strings: strings(bytes, from: offset + length, to: stringsEnd)
            )
            let source = "SMBIOS type \(type) at byte \(offset)"
            switch type {
            case 17:
                collected.devices.append(
                    memoryDevice(structure, source: source, problems: &collected.problems)
                        .bounded(from: source, problems: &collected.problems)
                )
            case 4:
                collected.processors.append(
                    processor(structure).bounded(from: source, problems: &collected.problems)
                )
            case 19: collected.ranges.append(mappedRange(structure, source: source, problems: &collected.problems))
            case 127: break walk
            default: break
            }
            offset = stringsEnd + 2
        }
        return Result(reading: collected.reading(), problems: problems)
    }

    private struct Collected {
        var devices: [MemoryDeviceRecord] = []
        var processors: [ProcessorRecord] = []
        var ranges: [Int64?] = []
        var problems: [String] = []

        mutating func reading() -> SMBIOSReading {
            let mapped = PhysicalBounds.memoryBytes.sum(
                ranges,
                from: "SMBIOS Memory Array Mapped Address total",
                problems: &problems
            )
            return SMBIOSReading(
                memoryDevices: devices,
                processors: processors,
                mappedMemoryBytes: mapped,
                source: "smbios",
                problems: problems
            )
        }
    }

    /// Index of the first NUL of the terminating double NUL, or nil when the bytes end first.
    private static func endOfStringSet(_ bytes: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + 1 < bytes.count {
            if bytes[i] == 0 && bytes[i + 1] == 0 { return i }
            i += 1
        }
        return nil
    }

    private static func strings(_ bytes: [UInt8], from start: Int, to end: Int) -> [String] {
        guard end > start else { return [] }
        return bytes[start..<end].split(separator: 0, omittingEmptySubsequences: false).map {
            String(decoding: $0, as: UTF8.self)
        }
    }

    private struct Structure {
        var formatted: [UInt8]
        var strings: [String]

        func byte(_ at: Int) -> UInt8? { at < formatted.count ? formatted[at] : nil }

        func word(_ at: Int) -> UInt16? {
            at + 1 < formatted.count ? UInt16(formatted[at]) | UInt16(formatted[at + 1]) << 8 : nil
        }

        func dword(_ at: Int) -> UInt32? {
            guard at + 3 < formatted.count else { return nil }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(formatted[at + $1]) << (8 * $1) }
        }

        func qword(_ at: Int) -> UInt64? {
            guard at + 7 < formatted.count else { return nil }
            return (0..<8).reduce(UInt64(0)) { $0 | UInt64(formatted[at + $1]) << (8 * $1) }
        }

        /// String fields are 1-based indexes into the string set; 0 means none.
        func string(_ at: Int) -> String? {
            guard let index = byte(at), index > 0, Int(index) <= strings.count else { return nil }
            return SMBIOSText.meaningful(strings[Int(index) - 1])
        }
    }

    private static func memoryDevice(_ s: Structure, source: String, problems: inout [String]) -> MemoryDeviceRecord {
        MemoryDeviceRecord(
            locator: s.string(0x10),
            bankLocator: s.string(0x11),
            sizeBytes: size(s, source: source, problems: &problems),
            type: s.byte(0x12).flatMap(SMBIOSNames.memoryType),
            typeDetail: s.word(0x13).map(SMBIOSNames.typeDetail) ?? [],
            formFactor: s.byte(0x0E).flatMap(SMBIOSNames.formFactor),
            speedMts: speed(s, at: 0x15, extendedAt: 0x54),
            configuredSpeedMts: speed(s, at: 0x20, extendedAt: 0x58),
            dataWidthBits: width(s.word(0x0A)),
            totalWidthBits: width(s.word(0x08)),
            rank: s.byte(0x1B).map { Int($0 & 0x0F) }.flatMap { $0 == 0 ? nil : $0 },
            manufacturer: s.string(0x17),
            partNumber: s.string(0x1A)
        )
    }

    /// Size word: 0 empty, 0xFFFF unknown, bit 15 = KiB units, 0x7FFF = see Extended Size (MiB,
    /// bits 0–30, up to 2 PiB: more than any DIMM, so the bound decides).
    private static func size(_ s: Structure, source: String, problems: inout [String]) -> Int64? {
        guard let word = s.word(0x0C) else { return nil }
        switch word {
        case 0: return 0
        case 0xFFFF: return nil
        case 0x7FFF:
            guard let extended = s.dword(0x1C) else { return nil }
            let mebibytes = Int64(extended & 0x7FFF_FFFF)
            return PhysicalBounds.moduleBytes.admit(
                mebibytes,
                times: 1_048_576,
                written: "\(mebibytes) MiB (Extended Size)",
                from: source,
                problems: &problems
            )
        default:
            return word & 0x8000 != 0 ? Int64(word & 0x7FFF) * 1024 : Int64(word) * 1_048_576
        }
    }

    private static func speed(_ s: Structure, at: Int, extendedAt: Int) -> Int? {
        guard let word = s.word(at), word != 0 else { return nil }
        if word == 0xFFFF {
            guard let extended = s.dword(extendedAt), extended & 0x7FFF_FFFF != 0 else { return nil }
            return Int(extended & 0x7FFF_FFFF)
        }
        return Int(word)
    }

    private static func width(_ word: UInt16?) -> Int? {
        guard let word, word != 0, word != 0xFFFF else { return nil }
        return Int(word)
    }

    /// Memory Array Mapped Address (type 19, SMBIOS 3.7 §7.20): starting and ending addresses in
    /// KiB at 0x04 and 0x08 (the ending one inclusive); 0xFFFFFFFF at 0x04 points to the byte
    /// addresses at 0x0F and 0x17 (SMBIOS 2.7+). Range = end − start + 1.
    private static func mappedRange(_ s: Structure, source: String, problems: inout [String]) -> Int64? {
        guard let start = s.dword(0x04), let end = s.dword(0x08) else { return nil }
        let bound = PhysicalBounds.memoryBytes
        if start == 0xFFFF_FFFF {
            guard let extendedStart = s.qword(0x0F), let extendedEnd = s.qword(0x17) else { return nil }
            guard extendedEnd >= extendedStart, extendedEnd - extendedStart < UInt64(bound.range.upperBound) else {
                problems.append(bound.problem("from byte \(extendedStart) to \(extendedEnd)", from: source))
                return nil
            }
            return Int64(extendedEnd - extendedStart) + 1
        }
        guard end >= start else {
            problems.append(bound.problem("from KiB \(start) to \(end)", from: source))
            return nil
        }
        return (Int64(end) - Int64(start) + 1) * 1024
    }

    private static func processor(_ s: Structure) -> ProcessorRecord {
        let status = s.byte(0x18) ?? 0
        return ProcessorRecord(
            socketDesignation: s.string(0x04),
            populated: status & 0x40 != 0,
            manufacturer: s.string(0x07),
            version: s.string(0x10),
            coreCount: count(s.byte(0x23), extended: s.word(0x2A)),
            threadCount: count(s.byte(0x25), extended: s.word(0x2E))
        )
    }

    /// Counts above 255 live in the "2" fields (SMBIOS 3.0+), flagged by 0xFF in the byte.
    private static func count(_ byte: UInt8?, extended: UInt16?) -> Int? {
        guard let byte, byte != 0 else { return nil }
        if byte == 0xFF, let extended, extended != 0, extended != 0xFFFF { return Int(extended) }
        return Int(byte)
    }
}

/// The placeholder strings firmware writes instead of leaving a field empty.
enum SMBIOSText {
    private static let placeholders: Set<String> = [
        "", "unknown", "not specified", "not provided", "none", "to be filled by o.e.m.", "default string",
        "no module installed", "undefined", "--", "n/a", "<out of spec>", "other",
    ]

    static func meaningful(_ raw: String) -> String? {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        return placeholders.contains(trimmed.lowercased()) ? nil : trimmed
    }
}

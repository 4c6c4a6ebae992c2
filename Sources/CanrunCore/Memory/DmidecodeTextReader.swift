import Foundation

/// Reads plain `dmidecode` output (all types or `-t memory -t processor`), the form admins
/// already have, into the same records as the raw table decoder.
///
/// dmidecode prints sizes in binary units (`16 GB` = 16 GiB) and speeds as `MT/s` (older versions:
/// `MHz`, which firmware means as MT/s). Unknown values (`Unknown`, `Not Specified`) become `nil`.
public enum DmidecodeTextReader {
    /// Values no machine has (a size that overflows once in bytes, a speed of
    /// 18446744073709551615 MT/s) become unknown, each with a sentence in the reading's `problems`.
    public static func read(_ text: String) -> SMBIOSReading {
        var devices: [MemoryDeviceRecord] = []
        var processors: [ProcessorRecord] = []
        var ranges: [Int64?] = []
        var problems: [String] = []
        for block in blocks(text) {
            let source = "dmidecode handle \(block.handle)"
            switch block.type {
            case 17: devices.append(memoryDevice(block.fields, source: source, problems: &problems))
            case 4: processors.append(processor(block.fields, source: source, problems: &problems))
            case 19: ranges.append(mappedRange(block.fields, source: source, problems: &problems))
            default: break
            }
        }
        return SMBIOSReading(
            memoryDevices: devices,
            processors: processors,
            mappedMemoryBytes: PhysicalBounds.memoryBytes.sum(
                ranges,
                from: "dmidecode Memory Array Mapped Address total",
                problems: &problems
            ),
            source: "dmidecode",
            problems: problems
        )
    }

    /// True when the text looks like dmidecode output at all.
    public static func looksLikeDmidecode(_ text: String) -> Bool {
        text.contains("DMI type") && text.contains("Handle 0x")
    }

    private struct Block {
        var handle: String
        var type: Int
        var fields: [String: String]
    }

    private static func blocks(_ text: String) -> [Block] {
        var result: [Block] = []
        var current: Block?
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.hasPrefix("Handle ") {
                if let current { result.append(current) }
                current = handleType(line).map { Block(handle: handle(line), type: $0, fields: [:]) }
                continue
            }
            guard line.hasPrefix("\t"), !line.hasPrefix("\t\t"), let colon = line.firstIndex(of: ":") else { continue }
            let key = line[line.index(after: line.startIndex)..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if current?.fields[key] == nil { current?.fields[key] = value }
        }
        if let current { result.append(current) }
        return result
    }

    /// `Handle 0x0013, DMI type 17, 92 bytes` → 17.
    private static func handleType(_ line: Substring) -> Int? {
        guard let range = line.range(of: "DMI type ") else { return nil }
        return Int(line[range.upperBound...].prefix { $0.isNumber })
    }

    /// `Handle 0x0013, DMI type 17, 92 bytes` → `0x0013`.
    private static func handle(_ line: Substring) -> String {
        String(line.dropFirst("Handle ".count).prefix { $0 != "," }.prefix(16))
    }

    private static func memoryDevice(
        _ f: [String: String],
        source: String,
        problems: inout [String]
    ) -> MemoryDeviceRecord {
        func number(_ key: String, _ bound: PhysicalBound<Int>) -> Int? {
            Self.number(f[key], bound: bound, from: "\(source) \(key)", problems: &problems)
        }
        let configuredKey = f["Configured Memory Speed"] != nil ? "Configured Memory Speed" : "Configured Clock Speed"
        return MemoryDeviceRecord(
            locator: f["Locator"].flatMap(SMBIOSText.meaningful),
            bankLocator: f["Bank Locator"].flatMap(SMBIOSText.meaningful),
            sizeBytes: size(f["Size"], bound: PhysicalBounds.moduleBytes, from: source, problems: &problems),
            type: f["Type"].flatMap(SMBIOSText.meaningful),
            typeDetail: f["Type Detail"].flatMap(SMBIOSText.meaningful).map { [$0] } ?? [],
            formFactor: f["Form Factor"].flatMap(SMBIOSText.meaningful),
            speedMts: number("Speed", PhysicalBounds.transferRateMts),
            configuredSpeedMts: number(configuredKey, PhysicalBounds.transferRateMts),
            dataWidthBits: number("Data Width", PhysicalBounds.memoryWidthBits),
            totalWidthBits: number("Total Width", PhysicalBounds.memoryWidthBits),
            rank: number("Rank", PhysicalBounds.memoryRank),
            manufacturer: f["Manufacturer"].flatMap(SMBIOSText.meaningful),
            partNumber: f["Part Number"].flatMap(SMBIOSText.meaningful)
        )
    }

    private static func processor(_ f: [String: String], source: String, problems: inout [String]) -> ProcessorRecord {
        ProcessorRecord(
            socketDesignation: f["Socket Designation"].flatMap(SMBIOSText.meaningful),
            populated: f["Status"].map { $0.hasPrefix("Populated") } ?? false,
            manufacturer: f["Manufacturer"].flatMap(SMBIOSText.meaningful),
            version: f["Version"].flatMap(SMBIOSText.meaningful),
            coreCount: number(f["Core Count"], bound: PhysicalBounds.cores, from: source, problems: &problems),
            threadCount: number(f["Thread Count"], bound: PhysicalBounds.threads, from: source, problems: &problems)
        )
    }

    /// A Memory Array Mapped Address (type 19) range, bytes: from its addresses
    /// (`Starting Address: 0x00100000000`, `Ending Address: 0x0047FFFFFFF`, inclusive), which
    /// dmidecode prints exactly, else from `Range Size`, which it rounds to two units.
    private static func mappedRange(_ f: [String: String], source: String, problems: inout [String]) -> Int64? {
        let named = source + " Memory Array Mapped Address"
        if let start = f["Starting Address"].flatMap(hex), let end = f["Ending Address"].flatMap(hex) {
            guard end >= start, end - start < UInt64(PhysicalBounds.memoryBytes.range.upperBound) else {
                problems.append(
                    PhysicalBounds.memoryBytes.problem(
                        "from \(f["Starting Address"] ?? "") to \(f["Ending Address"] ?? "")",
                        from: named
                    )
                )
                return nil
            }
            return Int64(end - start) + 1
        }
        return size(f["Range Size"], bound: PhysicalBounds.memoryBytes, from: named, problems: &problems)
    }

    private static func hex(_ text: String) -> UInt64? {
        guard text.hasPrefix("0x") else { return nil }
        return UInt64(text.dropFirst(2), radix: 16)
    }

    /// `16 GB`, `16384 MB`, `512 kB`, `No Module Installed` (0), `Unknown` (nil). dmidecode's
    /// units are binary (`dmi_print_memory_size`: bytes, kB, MB, GB, TB, PB, EB, ZB).
    static func size(
        _ value: String?,
        bound: PhysicalBound<Int64>,
        from source: String,
        problems: inout [String]
    ) -> Int64? {
        guard let value else { return nil }
        if value.hasPrefix("No Module") { return 0 }
        let parts = value.split(separator: " ")
        guard parts.count == 2, let first = parts[0].first, first.isNumber || first == "-" || first == "+" else {
            return nil
        }
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB", "ZB"]
        guard let power = units.firstIndex(of: String(parts[1])) ?? (parts[1] == "KB" ? 1 : nil) else { return nil }
        // A zettabyte does not fit Int64; any count of them is beyond the bound.
        guard let number = Int64(parts[0]), number >= 0, power < 7 else {
            problems.append(bound.problem(value, from: source))
            return nil
        }
        return bound.admit(number, times: 1 << (10 * Int64(power)), written: value, from: source, problems: &problems)
    }

    /// The leading integer of `64 bits`, `4800 MT/s`, `96`; nil for `Unknown`, `None` and the
    /// like, and, with a problem, for a number outside `bound` or too large for any integer.
    private static func number(
        _ value: String?,
        bound: PhysicalBound<Int>,
        from source: String,
        problems: inout [String]
    ) -> Int? {
        guard let value, let first = value.split(separator: " ").first, let lead = first.first,
            lead.isNumber || lead == "-" || lead == "+"
        else { return nil }
        guard let n = Int(first), bound.contains(n) else {
            problems.append(bound.problem(value, from: source))
            return nil
        }
        return n
    }
}

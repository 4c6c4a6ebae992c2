import Foundation

/// Reads plain `dmidecode` output (all types or `-t memory -t processor`), the form admins
/// already have, into the same records as the raw table decoder.
///
/// dmidecode prints sizes in binary units (`16 GB` = 16 GiB) and speeds as `MT/s` (older versions:
/// `MHz`, which firmware means as MT/s). Unknown values (`Unknown`, `Not Specified`) become `nil`.
public enum DmidecodeTextReader {
    public static func read(_ text: String) -> SMBIOSReading {
        var devices: [MemoryDeviceRecord] = []
        var processors: [ProcessorRecord] = []
        for block in blocks(text) {
            switch block.type {
            case 17: devices.append(memoryDevice(block.fields))
            case 4: processors.append(processor(block.fields))
            default: break
            }
        }
        return SMBIOSReading(memoryDevices: devices, processors: processors, source: "dmidecode")
    }

    /// True when the text looks like dmidecode output at all.
    public static func looksLikeDmidecode(_ text: String) -> Bool {
        text.contains("DMI type") && text.contains("Handle 0x")
    }

    private struct Block {
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
                current = handleType(line).map { Block(type: $0, fields: [:]) }
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

    private static func memoryDevice(_ f: [String: String]) -> MemoryDeviceRecord {
        MemoryDeviceRecord(
            locator: f["Locator"].flatMap(SMBIOSText.meaningful),
            bankLocator: f["Bank Locator"].flatMap(SMBIOSText.meaningful),
            sizeBytes: size(f["Size"]),
            type: f["Type"].flatMap(SMBIOSText.meaningful),
            typeDetail: f["Type Detail"].flatMap(SMBIOSText.meaningful).map { [$0] } ?? [],
            formFactor: f["Form Factor"].flatMap(SMBIOSText.meaningful),
            speedMts: leadingInteger(f["Speed"]),
            configuredSpeedMts: leadingInteger(f["Configured Memory Speed"] ?? f["Configured Clock Speed"]),
            dataWidthBits: leadingInteger(f["Data Width"]),
            totalWidthBits: leadingInteger(f["Total Width"]),
            rank: leadingInteger(f["Rank"]),
            manufacturer: f["Manufacturer"].flatMap(SMBIOSText.meaningful),
            partNumber: f["Part Number"].flatMap(SMBIOSText.meaningful)
        )
    }

    private static func processor(_ f: [String: String]) -> ProcessorRecord {
        ProcessorRecord(
            socketDesignation: f["Socket Designation"].flatMap(SMBIOSText.meaningful),
            populated: f["Status"].map { $0.hasPrefix("Populated") } ?? false,
            manufacturer: f["Manufacturer"].flatMap(SMBIOSText.meaningful),
            version: f["Version"].flatMap(SMBIOSText.meaningful),
            coreCount: leadingInteger(f["Core Count"]),
            threadCount: leadingInteger(f["Thread Count"])
        )
    }

    /// `16 GB`, `16384 MB`, `512 kB`, `No Module Installed` (0), `Unknown` (nil).
    static func size(_ value: String?) -> Int64? {
        guard let value else { return nil }
        if value.hasPrefix("No Module") { return 0 }
        let parts = value.split(separator: " ")
        guard parts.count == 2, let number = Int64(parts[0]) else { return nil }
        let unit: Int64? =
            switch parts[1] {
            case "bytes": 1
            case "kB", "KB": 1024
            case "MB": 1 << 20
            case "GB": 1 << 30
            case "TB": 1 << 40
            default: nil
            }
        return unit.map { number * $0 }
    }

    private static func leadingInteger(_ value: String?) -> Int? {
        guard let value, let first = value.split(separator: " ").first, let n = Int(first), n > 0 else { return nil }
        return n
    }
}

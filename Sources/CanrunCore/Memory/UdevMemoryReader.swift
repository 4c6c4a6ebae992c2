import Foundation

/// Reads the memory devices udev's `dmi_memory_id` stores in its database
/// (`/run/udev/data/+dmi:id`, lines `E:MEMORY_DEVICE_0_SIZE=17179869184`), which non-root users
/// can read when the raw SMBIOS table is root-only.
///
/// Accepts the database file format (`E:KEY=VALUE`) and `udevadm info --query=property` output
/// (`KEY=VALUE`). Sizes are bytes, speeds MT/s. Values outside `PhysicalBounds` become unknown,
/// with a sentence in the reading's `problems`.
public enum UdevMemoryReader {
    public static func read(_ text: String) -> SMBIOSReading? {
        var byIndex: [Int: [String: String]] = [:]
        for rawLine in text.split(separator: "\n") {
            var line = Substring(rawLine)
            if line.hasPrefix("E:") { line = line.dropFirst(2) }
            guard line.hasPrefix("MEMORY_DEVICE_"), let equals = line.firstIndex(of: "=") else { continue }
            let key = line[line.index(line.startIndex, offsetBy: 14)..<equals]
            guard let underscore = key.firstIndex(of: "_"), let index = Int(key[..<underscore]) else { continue }
            let field = String(key[key.index(after: underscore)...])
            byIndex[index, default: [:]][field] = String(line[line.index(after: equals)...])
        }
        guard !byIndex.isEmpty else { return nil }
        var problems: [String] = []
        let devices = byIndex.keys.sorted().map { index -> MemoryDeviceRecord in
            let f = byIndex[index] ?? [:]
            let source = "udev MEMORY_DEVICE_\(index)"
            func number<Value: FixedWidthInteger>(_ key: String, _ bound: PhysicalBound<Value>) -> Value? {
                guard let text = f[key] else { return nil }
                guard let value = Value(text) else {
                    problems.append(bound.problem(text, from: "\(source)_\(key)"))
                    return nil
                }
                return value
            }
            let present = f["PRESENT"].map { $0 != "0" } ?? true
            return MemoryDeviceRecord(
                locator: f["LOCATOR"].flatMap(SMBIOSText.meaningful),
                bankLocator: f["BANK_LOCATOR"].flatMap(SMBIOSText.meaningful),
                sizeBytes: present ? number("SIZE", PhysicalBounds.moduleBytes) : 0,
                type: (f["TYPE"] ?? f["MEMORY_TYPE"]).flatMap(SMBIOSText.meaningful),
                typeDetail: f["TYPE_DETAIL"].flatMap(SMBIOSText.meaningful).map { [$0] } ?? [],
                formFactor: f["FORM_FACTOR"].flatMap(SMBIOSText.meaningful),
                speedMts: number("SPEED_MTS", PhysicalBounds.transferRateMts),
                configuredSpeedMts: number("CONFIGURED_SPEED_MTS", PhysicalBounds.transferRateMts),
                dataWidthBits: number("DATA_WIDTH", PhysicalBounds.memoryWidthBits),
                totalWidthBits: number("TOTAL_WIDTH", PhysicalBounds.memoryWidthBits),
                rank: number("RANK", PhysicalBounds.memoryRank),
                manufacturer: f["MANUFACTURER"].flatMap(SMBIOSText.meaningful),
                partNumber: f["PART_NUMBER"].flatMap(SMBIOSText.meaningful)
            )
            .bounded(from: source, problems: &problems)
        }
        return SMBIOSReading(memoryDevices: devices, processors: [], source: "udev", problems: problems)
    }
}

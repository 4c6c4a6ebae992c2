import Foundation

/// Reads the memory devices udev's `dmi_memory_id` stores in its database
/// (`/run/udev/data/+dmi:id`, lines `E:MEMORY_DEVICE_0_SIZE=17179869184`), which non-root users
/// can read when the raw SMBIOS table is root-only.
///
/// Accepts the database file format (`E:KEY=VALUE`) and `udevadm info --query=property` output
/// (`KEY=VALUE`). Sizes are bytes, speeds MT/s.
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
        let devices = byIndex.keys.sorted().map { index -> MemoryDeviceRecord in
            let f = byIndex[index] ?? [:]
            let present = f["PRESENT"].map { $0 != "0" } ?? true
            return MemoryDeviceRecord(
                locator: f["LOCATOR"].flatMap(SMBIOSText.meaningful),
                bankLocator: f["BANK_LOCATOR"].flatMap(SMBIOSText.meaningful),
                sizeBytes: present ? f["SIZE"].flatMap { Int64($0) } : 0,
                type: (f["TYPE"] ?? f["MEMORY_TYPE"]).flatMap(SMBIOSText.meaningful),
                typeDetail: f["TYPE_DETAIL"].flatMap(SMBIOSText.meaningful).map { [$0] } ?? [],
                formFactor: f["FORM_FACTOR"].flatMap(SMBIOSText.meaningful),
                speedMts: f["SPEED_MTS"].flatMap { Int($0) },
                configuredSpeedMts: f["CONFIGURED_SPEED_MTS"].flatMap { Int($0) },
                dataWidthBits: f["DATA_WIDTH"].flatMap { Int($0) },
                totalWidthBits: f["TOTAL_WIDTH"].flatMap { Int($0) },
                rank: f["RANK"].flatMap { Int($0) },
                manufacturer: f["MANUFACTURER"].flatMap(SMBIOSText.meaningful),
                partNumber: f["PART_NUMBER"].flatMap(SMBIOSText.meaningful)
            )
        }
        return SMBIOSReading(memoryDevices: devices, processors: [], source: "udev")
    }
}

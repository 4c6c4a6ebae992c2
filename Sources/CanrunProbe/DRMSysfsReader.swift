import CanrunCore
import Foundation

/// Reads GPU memory that kernel drivers publish in sysfs: amdgpu's `mem_info_vram_total`,
/// `mem_info_vram_used` and `mem_info_gtt_total` (bytes), and Intel xe's
/// `tile*/physical_vram_size_bytes`. Each card's PCI address comes from its `uevent`.
public enum DRMSysfsReader {
    /// - Parameter links: also each card's PCIe link (a walk up its bridges), which never
    ///   changes; a free-memory poll leaves it out.
    public static func read(root: HostRoot, links: Bool = true) -> [GPUDriverReading] {
        let base = root.resolve("/sys/class/drm")
        guard let names = root.list(base) else { return [] }
        let cards = names.filter { $0.hasPrefix("card") && Int($0.dropFirst(4)) != nil }
            .sorted { Int($0.dropFirst(4)) ?? 0 < Int($1.dropFirst(4)) ?? 0 }
        return cards.compactMap { card in reading(device: base + "/" + card + "/device", root: root, links: links) }
    }

    /// amdgpu's power cap, `hwmon/hwmon*/power1_cap` in microwatts (what the board may draw now;
    /// `power1_cap_default` is its rating); nil when absent or no board's.
    static func powerCap(device dir: String, root: HostRoot) -> Double? {
        for hwmon in (root.list(dir + "/hwmon") ?? []).sorted() where hwmon.hasPrefix("hwmon") {
            if let microwatts = root.int64(dir + "/hwmon/" + hwmon + "/power1_cap") {
                let watts = Double(microwatts) / 1e6
                return PhysicalBounds.boardPowerW.contains(watts) ? watts : nil
            }
        }
        return nil
    }

    static func reading(device dir: String, root: HostRoot, links: Bool) -> GPUDriverReading? {
        let link = { links ? SysfsPCILink.read(device: dir, root: root) : nil }
        let uevent = root.attribute(dir + "/uevent").map(parseUevent) ?? [:]
        let driver = uevent["DRIVER"]
        var ids = uevent["PCI_ID"]?.split(separator: ":").compactMap { UInt16($0, radix: 16) } ?? []
        if ids.count != 2 {
            ids = ["vendor", "device"].compactMap { file in
                root.attribute(dir + "/" + file).flatMap {
                    UInt16($0.replacingOccurrences(of: "0x", with: ""), radix: 16)
                }
            }
        }
        let address = uevent["PCI_SLOT_NAME"].flatMap(PCIAddress.normalise)
        if let total = root.int64(dir + "/mem_info_vram_total") {
            let used = root.int64(dir + "/mem_info_vram_used")
            var reading = GPUDriverReading(
                pciAddress: address,
                vendorId: ids.first,
                deviceId: ids.count == 2 ? ids[1] : nil,
                memoryBytes: total,
                memoryFreeBytes: used.map { total - $0 },
                gttBytes: root.int64(dir + "/mem_info_gtt_total"),
                pcieLink: link(),
                source: "amdgpu_sysfs",
                driver: driver ?? "amdgpu"
            )
            reading.powerLimitW = powerCap(device: dir, root: root)
            return reading
        }
        let tiles = root.list(dir)?.filter { $0.hasPrefix("tile") } ?? []
        let xeBytes = tiles.compactMap { root.int64(dir + "/" + $0 + "/physical_vram_size_bytes") }
        if !xeBytes.isEmpty {
            return GPUDriverReading(
                pciAddress: address,
                vendorId: ids.first,
                deviceId: ids.count == 2 ? ids[1] : nil,
                memoryBytes: xeBytes.reduce(0, +),
                pcieLink: link(),
                source: "xe_sysfs",
                driver: driver ?? "xe"
            )
        }
        return nil
    }

    static func parseUevent(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            result[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return result
    }
}

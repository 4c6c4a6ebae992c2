import CanrunCore
import Foundation

/// Reads PCI functions from a `/sys/bus/pci/devices` tree, live or recorded, tolerating the
/// files snapshots leave out (ghw snapshots have no `config`, `resource` or `subsystem_*`).
public enum SysfsPCIReader {
    /// `nil` when the directory does not exist (no PCI bus in the recording).
    public static func read(root: HostRoot) -> [PCIDeviceRecord]? {
        let base = root.resolve("/sys/bus/pci/devices")
        guard let names = root.list(base) else { return nil }
        return names.sorted().compactMap { name -> PCIDeviceRecord? in
            guard let address = PCIAddress.normalise(name) else { return nil }
            let dir = base + "/" + name
            func hex(_ file: String) -> UInt32? {
                guard let text = root.attribute(dir + "/" + file) else { return nil }
                return UInt32(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
            }
            guard let classValue = hex("class") else { return nil }
            let driver = root.linkTarget(dir + "/driver").map { ($0 as NSString).lastPathComponent }
            let numa = root.attribute(dir + "/numa_node").flatMap { Int($0) }
            return PCIDeviceRecord(
                address: address,
                vendorId: UInt16(truncatingIfNeeded: hex("vendor") ?? 0),
                deviceId: UInt16(truncatingIfNeeded: hex("device") ?? 0),
                classCode: UInt16(truncatingIfNeeded: classValue >> 8),
                subsystemVendorId: hex("subsystem_vendor").map { UInt16(truncatingIfNeeded: $0) },
                subsystemDeviceId: hex("subsystem_device").map { UInt16(truncatingIfNeeded: $0) },
                revision: hex("revision").map { UInt8(truncatingIfNeeded: $0) },
                numaNode: numa.flatMap { $0 < 0 ? nil : $0 },
                driver: driver,
                link: SysfsPCILink.read(device: dir, root: root)
            )
        }
    }
}

enum PCIAddress {
    /// `0000:00:02.0` → itself; anything else that is not a PCI address → nil.
    static func normalise(_ name: String) -> String? {
        let parts = name.lowercased().split(separator: ":")
        guard parts.count == 3, parts[2].contains(".") else { return nil }
        let sf = parts[2].split(separator: ".")
        guard sf.count == 2, let d = UInt32(parts[0], radix: 16), let b = UInt8(parts[1], radix: 16),
            let s = UInt8(sf[0], radix: 16), let f = UInt8(sf[1], radix: 16)
        else { return nil }
        return String(format: "%04x:%02x:%02x.%x", d, b, s, f)
    }
}

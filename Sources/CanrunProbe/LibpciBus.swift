import CPci
import CanrunCore
import CanrunShims
import Foundation

/// Enumerates PCI functions with libpci: the live bus (sysfs), or an `lspci -x`/`-xxxx` dump.
///
/// libpci's default error handler exits the process; the C shim replaces it with one that
/// returns here as a thrown error. Names come from the `pci.ids` file given (Debian's is stale,
/// so canrun's GPU table names GPUs first); udev's hwdb is never consulted, so replays give the
/// same names everywhere.
public enum LibpciBus {
    public enum Source: Sendable, Equatable {
        /// A `bus/pci` directory (`/sys/bus/pci` live).
        case sysfs(String)
        /// A text dump as `lspci -x` prints it.
        case dump(String)
    }

    public struct ScanError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { "libpci could not read the PCI bus: \(message)" }
    }

    /// Debian's `pci.ids` package location.
    public static let defaultIDsFile = "/usr/share/misc/pci.ids"

    /// - Parameter wantsName: which devices to name from `idsFile` (all by default).
    public static func scan(
        _ source: Source,
        idsFile: String? = defaultIDsFile,
        wantsName: (PCIDeviceRecord) -> Bool = { _ in true }
    ) throws -> [PCIDeviceRecord] {
        var error = [CChar](repeating: 0, count: 256)
        let (method, path): (Int32, String) =
            switch source {
            case .sysfs(let p): (Int32(CANRUN_PCI_SYSFS.rawValue), p)
            case .dump(let p): (Int32(CANRUN_PCI_DUMP.rawValue), p)
            }
        let ids = idsFile.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        guard let access = canrun_pci_open(method, path, ids, &error, error.count) else {
            throw ScanError(message: string(error))
        }
        defer { canrun_pci_close(access) }
        var records: [PCIDeviceRecord] = []
        var device = access.pointee.devices
        let fields = Int32(PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_NUMA_NODE | PCI_FILL_CLASS_EXT | PCI_FILL_SUBSYS)
        while let dev = device {
            if canrun_pci_fill(access, dev, fields, &error, error.count) >= 0 {
                var entry = record(dev.pointee)
                if ids != nil, wantsName(entry) { name(&entry, device: dev.pointee, access: access) }
                records.append(entry)
            }
            device = dev.pointee.next
        }
        return records.sorted { $0.address < $1.address }
    }

    private static func name(
        _ entry: inout PCIDeviceRecord,
        device d: pci_dev,
        access: UnsafeMutablePointer<pci_access>
    ) {
        var buffer = [CChar](repeating: 0, count: 256)
        entry.vendorName = canrun_pci_vendor_name(access, &buffer, 256, Int32(d.vendor_id)).map { String(cString: $0) }
        entry.deviceName = canrun_pci_device_name(access, &buffer, 256, Int32(d.vendor_id), Int32(d.device_id)).map {
            String(cString: $0)
        }
    }

    private static func record(_ d: pci_dev) -> PCIDeviceRecord {
        let address = String(format: "%04x:%02x:%02x.%x", d.domain, d.bus, d.dev, d.func)
        let hasSubsystem =
            d.known_fields & UInt32(PCI_FILL_SUBSYS) != 0 && d.subsys_vendor_id != 0xFFFF
            && d.subsys_vendor_id != 0
        return PCIDeviceRecord(
            address: address,
            vendorId: d.vendor_id,
            deviceId: d.device_id,
            classCode: d.device_class,
            subsystemVendorId: hasSubsystem ? d.subsys_vendor_id : nil,
            subsystemDeviceId: hasSubsystem ? d.subsys_id : nil,
            revision: d.known_fields & UInt32(PCI_FILL_CLASS_EXT) != 0 ? d.rev_id : nil,
            numaNode: d.numa_node >= 0 ? Int(d.numa_node) : nil
        )
    }

    private static func string(_ buffer: [CChar]) -> String {
        buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }
}

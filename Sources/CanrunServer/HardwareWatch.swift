import CanrunCore
import CanrunProbe
import Foundation

/// Notices hotplug without udev: the PCI devices present, the CPUs online and the RAM installed,
/// read every so often from sysfs and `/proc/meminfo`. A changed signature means the facts the
/// daemon answers from are stale: it re-probes (as on SIGHUP).
public enum HardwareWatch {
    /// How often the daemon looks.
    public static let interval = Duration.seconds(30)

    /// The signature of what was read: equal signatures, same hardware.
    public static func signature(pciDevices: [String], cpusOnline: String, memTotalBytes: Int64?) -> String {
        "pci=\(pciDevices.sorted().joined(separator: ","))|cpus=\(cpusOnline.trimmingCharacters(in: .whitespacesAndNewlines))|mem=\(memTotalBytes ?? -1)"
    }

    /// This machine's signature now (under `root`, `/` live).
    public static func read(root: String = "") -> String {
        let devices = (try? FileManager.default.contentsOfDirectory(atPath: root + "/sys/bus/pci/devices")) ?? []
        let cpus = (try? SafeFile.text(root + "/sys/devices/system/cpu/online", limit: .sysfsAttribute)) ?? ""
        let meminfo = (try? SafeFile.text(root + "/proc/meminfo", limit: .meminfo)) ?? ""
        return signature(pciDevices: devices, cpusOnline: cpus, memTotalBytes: MeminfoParser.parse(meminfo).totalBytes)
    }
}

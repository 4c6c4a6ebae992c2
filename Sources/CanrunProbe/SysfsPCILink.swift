import CanrunCore
import Foundation

/// A PCI function's link to the host from sysfs: the slowest `max_link_speed` × `max_link_width`
/// on the path from the function up through its bridges to the root port. `max_` rather than
/// `current_`: an idle GPU down-clocks its link (an RTX 3090 at rest reports Gen 1), and the
/// path's minimum catches a card in a slot wired for fewer lanes or behind a slower switch.
enum SysfsPCILink {
    /// - Parameter device: the function's sysfs directory (`/sys/bus/pci/devices/0000:01:00.0`,
    ///   a symlink into `/sys/devices`, or a DRM card's `device`).
    static func read(device: String) -> PCIeLink? {
        var directory = URL(fileURLWithPath: device).resolvingSymlinksInPath()
        var path = link(in: directory.path)
        // Up through the bridges: their directories are named by PCI address too (recordings
        // that copied a device's files alone stop at once).
        directory.deleteLastPathComponent()
        while PCIAddress.normalise(directory.lastPathComponent) != nil {
            if let hop = link(in: directory.path) { path = path.map { $0.bottleneck(hop) } ?? hop }
            directory.deleteLastPathComponent()
        }
        return path
    }

    private static func link(in directory: String) -> PCIeLink? {
        guard let speed = SysfsFile.string(directory + "/max_link_speed"),
            let width = SysfsFile.string(directory + "/max_link_width")
        else { return nil }
        return PCIeLink(sysfsSpeed: speed, width: width)
    }
}

import CanrunCore
import Foundation

/// A PCI function's link to the host from sysfs: the slowest `max_link_speed` × `max_link_width`
/// on the path from the function up through its bridges to the root port. `max_` rather than
/// `current_`: an idle GPU down-clocks its link (an RTX 3090 at rest reports Gen 1), and the
/// path's minimum catches a card in a slot wired for fewer lanes or behind a slower switch.
///
/// QEMU's emulated root ports and switches (vendor 1b36) advertise links that no transfer
/// crosses at that rate (older ones say 2.5 GT/s x1 in front of a passed-through x16 GPU), so
/// they are not hops.
enum SysfsPCILink {
    /// - Parameters:
    ///   - device: the function's sysfs directory (`/sys/bus/pci/devices/0000:01:00.0`, a
    ///     symlink into `/sys/devices`, or a DRM card's `device`).
    ///   - root: where the tree lives; a link that resolves outside a recording's root (an
    ///     absolute symlink) is not followed, and only `device` itself is read.
    static func read(device: String, root: HostRoot) -> PCIeLink? {
        let resolved = URL(fileURLWithPath: device).resolvingSymlinksInPath()
        let base = URL(fileURLWithPath: root.path).resolvingSymlinksInPath().path
        guard root.isLive || resolved.path.hasPrefix(base + "/") else { return link(in: device, root: root) }
        var directory = resolved
        var path = link(in: directory.path, root: root)
        // Up through the bridges: their directories are named by PCI address too (recordings
        // that copied a device's files alone stop at once).
        directory.deleteLastPathComponent()
        while PCIAddress.normalise(directory.lastPathComponent) != nil {
            let vendor = root.attribute(directory.path + "/vendor")
            if vendor != "0x1b36", let hop = link(in: directory.path, root: root) {
                path = path.map { $0.bottleneck(hop) } ?? hop
            }
            directory.deleteLastPathComponent()
        }
        return path
    }

    private static func link(in directory: String, root: HostRoot) -> PCIeLink? {
        guard let speed = root.attribute(directory + "/max_link_speed"),
            let width = root.attribute(directory + "/max_link_width")
        else { return nil }
        return PCIeLink(sysfsSpeed: speed, width: width)
    }
}

import CanrunCore
import Foundation

/// Writes what a live probe read into a folder that `canrun probe --replay` rebuilds the
/// same profile from: `topology.xml` (hwloc v2), `proc/{meminfo,cpuinfo}`, the SMBIOS table or
/// udev's database, the PCI and DRM sysfs files canrun reads, and NVML's answers as
/// `nvml.json`. Serial numbers, UUIDs, asset tags, MAC addresses and host names are scrubbed.
public enum Recorder {
    public struct RecordError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot record into \(path): \(reason)" }
    }

    /// Files copied per PCI function and per DRM card (all world-readable in sysfs).
    static let pciFiles = [
        "vendor", "device", "class", "subsystem_vendor", "subsystem_device", "revision", "numa_node", "local_cpulist",
    ]
    static let drmFiles = [
        "uevent", "vendor", "device", "mem_info_vram_total", "mem_info_vram_used", "mem_info_vis_vram_total",
        "mem_info_gtt_total", "mem_info_vram_vendor",
    ]

    /// Writes the recording into `folder`, which must be new (it is created) or an empty folder
    /// this user owns. Every file is created `O_EXCL | O_NOFOLLOW` below the folder held open,
    /// so links planted in it are refused, never written through.
    public static func write(_ capture: MachineProbe.Capture, root: HostRoot, to folder: String) throws {
        let directory: DirectoryHandle
        do throws(FileError) {
            directory = try DirectoryHandle.open(folder, creating: 0o755)
            try directory.requireOwned()
            guard try directory.names().isEmpty else { throw FileError(path: folder, problem: .notEmpty) }
        } catch {
            throw RecordError(path: folder, reason: error.reason)
        }
        func put(_ relative: String, _ bytes: [UInt8]) throws {
            let parent = (relative as NSString).deletingLastPathComponent
            do throws(FileError) {
                let into = parent.isEmpty ? directory : try directory.subdirectories(parent)
                try into.createFile((relative as NSString).lastPathComponent, contents: bytes)
            } catch {
                throw RecordError(path: folder + "/" + relative, reason: error.reason)
            }
        }
        func text(_ relative: String, _ string: String) throws { try put(relative, Array((string + "\n").utf8)) }

        if let xml = capture.topologyXML {
            try put("topology.xml", Array(scrubTopology(String(decoding: xml, as: UTF8.self)).utf8))
        }
        if let meminfo = capture.meminfo { try text("proc/meminfo", meminfo) }
        if let cpuinfo = capture.cpuinfo { try text("proc/cpuinfo", cpuinfo) }
        if let table = capture.smbiosTable { try put("sys/firmware/dmi/tables/DMI", SMBIOSScrubber.scrub(table)) }
        if let udev = capture.udevDatabase {
            let kept = udev.split(separator: "\n").filter { line in
                !["SERIAL", "UUID", "ASSET"].contains { line.uppercased().contains($0) }
            }
            try text("run/udev/data/+dmi:id", kept.joined(separator: "\n"))
        }
        let devices = root.resolve("/sys/bus/pci/devices")
        for name in (root.list(devices) ?? []).sorted() {
            for file in pciFiles {
                if let value = root.attribute(devices + "/" + name + "/" + file) {
                    try text("sys/bus/pci/devices/\(name)/\(file)", value)
                }
            }
            if let driver = root.linkTarget(devices + "/" + name + "/driver") {
                let relative = "sys/bus/pci/devices/\(name)"
                do throws(FileError) {
                    try directory.subdirectories(relative).createSymbolicLink(
                        "driver",
                        to: "../../../bus/pci/drivers/" + (driver as NSString).lastPathComponent
                    )
                } catch {
                    throw RecordError(path: folder + "/" + relative + "/driver", reason: error.reason)
                }
            }
        }
        let drm = root.resolve("/sys/class/drm")
        for card in (root.list(drm) ?? []) where card.hasPrefix("card") && !card.contains("-") {
            let device = drm + "/" + card + "/device"
            for file in drmFiles {
                if let value = root.attribute(device + "/" + file) {
                    try text("sys/class/drm/\(card)/device/\(file)", value)
                }
            }
            for tile in (root.list(device) ?? []) where tile.hasPrefix("tile") {
                if let value = root.attribute(device + "/" + tile + "/physical_vram_size_bytes") {
                    try text("sys/class/drm/\(card)/device/\(tile)/physical_vram_size_bytes", value)
                }
            }
            // amdgpu's power cap (DRMSysfsReader.powerCap).
            for hwmon in (root.list(device + "/hwmon") ?? []) where hwmon.hasPrefix("hwmon") {
                if let value = root.attribute(device + "/hwmon/" + hwmon + "/power1_cap") {
                    try text("sys/class/drm/\(card)/device/hwmon/\(hwmon)/power1_cap", value)
                }
            }
        }
        if !capture.nvml.isEmpty {
            try put("nvml.json", Array(try ProfileJSON.encoder().encode(capture.nvml)))
        }
    }

    /// Blanks hwloc infos that identify a host or a part: host and process names, serials,
    /// UUIDs, asset tags, and network addresses.
    static func scrubTopology(_ xml: String) -> String {
        let pattern = #"<info name="([^"]*(?:Serial|UUID|AssetTag|HostName|ProcessName|Address)[^"]*)" value="[^"]*"/>"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return xml }
        return regex.stringByReplacingMatches(
            in: xml,
            range: NSRange(xml.startIndex..., in: xml),
            withTemplate: #"<info name="$1" value=""/>"#
        )
    }
}

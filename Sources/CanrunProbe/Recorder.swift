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

    public static func write(_ capture: MachineProbe.Capture, root: HostRoot, to folder: String) throws {
        let fm = FileManager.default
        func put(_ relative: String, _ data: Data) throws {
            let url = URL(fileURLWithPath: folder).appendingPathComponent(relative)
            do {
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try data.write(to: url, options: .atomic)
            } catch {
                throw RecordError(path: url.path, reason: error.localizedDescription)
            }
        }
        func text(_ relative: String, _ string: String) throws { try put(relative, Data((string + "\n").utf8)) }

        if let xml = capture.topologyXML {
            try put("topology.xml", Data(scrubTopology(String(decoding: xml, as: UTF8.self)).utf8))
        }
        if let meminfo = capture.meminfo { try text("proc/meminfo", meminfo) }
        if let cpuinfo = capture.cpuinfo { try text("proc/cpuinfo", cpuinfo) }
        if let table = capture.smbiosTable { try put("sys/firmware/dmi/tables/DMI", Data(SMBIOSScrubber.scrub(table))) }
        if let udev = capture.udevDatabase {
            let kept = udev.split(separator: "\n").filter { line in
                !["SERIAL", "UUID", "ASSET"].contains { line.uppercased().contains($0) }
            }
            try text("run/udev/data/+dmi:id", kept.joined(separator: "\n"))
        }
        let devices = root.resolve("/sys/bus/pci/devices")
        for name in ((try? fm.contentsOfDirectory(atPath: devices)) ?? []).sorted() {
            for file in pciFiles {
                if let value = SysfsFile.string(devices + "/" + name + "/" + file) {
                    try text("sys/bus/pci/devices/\(name)/\(file)", value)
                }
            }
            if let driver = try? fm.destinationOfSymbolicLink(atPath: devices + "/" + name + "/driver") {
                let link = folder + "/sys/bus/pci/devices/\(name)/driver"
                try? fm.removeItem(atPath: link)
                try? fm.createSymbolicLink(
                    atPath: link,
                    withDestinationPath: "../../../bus/pci/drivers/" + (driver as NSString).lastPathComponent
                )
            }
        }
        let drm = root.resolve("/sys/class/drm")
        for card in ((try? fm.contentsOfDirectory(atPath: drm)) ?? [])
        where card.hasPrefix("card") && !card.contains("-") {
            let device = drm + "/" + card + "/device"
            for file in drmFiles {
                if let value = SysfsFile.string(device + "/" + file) {
                    try text("sys/class/drm/\(card)/device/\(file)", value)
                }
            }
            for tile in ((try? fm.contentsOfDirectory(atPath: device)) ?? []) where tile.hasPrefix("tile") {
                if let value = SysfsFile.string(device + "/" + tile + "/physical_vram_size_bytes") {
                    try text("sys/class/drm/\(card)/device/\(tile)/physical_vram_size_bytes", value)
                }
            }
        }
        if !capture.nvml.isEmpty {
            try put("nvml.json", try ProfileJSON.encoder().encode(capture.nvml))
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

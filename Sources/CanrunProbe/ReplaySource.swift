import CanrunCore
import Foundation

/// Rebuilds `ProbeReadings` offline from what admins already have or what
/// `canrun probe --record` wrote: a folder holding any of `topology.xml` (hwloc XML v1/v2), a
/// `sys/`+`proc/` tree (an unpacked `hwloc-gather-topology` archive or a recording),
/// `dmidecode.txt`, `dmi.bin` (`dmidecode --dump-bin`), `nvidia-smi.xml`, `rocm-smi.json`, `nvml.json`, `lspci.txt` (`lspci -x`),
/// `meminfo`, `cpuinfo` — or a single such file. Whatever is absent is unknown.
public enum ReplaySource {
    public enum ReplayError: Error, Equatable, CustomStringConvertible {
        case notFound(String)
        case unrecognised(String)

        public var description: String {
            switch self {
            case .notFound(let path): "nothing to replay at \(path): no such file or folder"
            case .unrecognised(let path):
                "\(path) is not a recording canrun understands: expected a folder, hwloc XML, dmidecode output, nvidia-smi -q -x XML, rocm-smi --json output or an lspci -x dump"
            }
        }
    }

    /// - Parameters:
    ///   - path: a folder (everything in it is read beneath it: a symbolic link out of it is
    ///     refused) or a single file (followed if it is a link: the user named it).
    ///   - resolution: how paths beneath a folder are resolved (`BeneathRoot`).
    public static func read(
        _ path: String,
        pciIDsFile: String? = LibpciBus.defaultIDsFile,
        resolution: BeneathRoot.Resolution = .kernel
    ) throws -> ProbeReadings {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ReplayError.notFound(path)
        }
        if isDirectory.boolValue {
            return readFolder(HostRoot(path, resolution: resolution), pciIDsFile: pciIDsFile)
        }
        var readings = ProbeReadings()
        guard try readFile(.system(path, followingLastLink: true), into: &readings, pciIDsFile: pciIDsFile) else {
            throw ReplayError.unrecognised(path)
        }
        return readings
    }

    private static func readFolder(_ given: HostRoot, pciIDsFile: String?) -> ProbeReadings {
        let root = treeRoot(given)
        let folder = root.path
        var readings = ProbeReadings()
        func exists(_ relative: String) -> Bool { root.exists(folder + "/" + relative) }
        func file(_ relative: String) -> SafeFile.Location { root.location(folder + "/" + relative) }
        func text(_ relative: String, limit: ReadLimit) -> String? {
            do {
                return try root.text(folder + "/" + relative, limit: limit)
            } catch {
                readings.warnings.append("\(relative) of the recording not read: \(error)")
                return nil
            }
        }

        if exists("topology.xml") {
            _ = try? readFile(file("topology.xml"), into: &readings, pciIDsFile: pciIDsFile, warn: true)
        } else if exists("sys/devices/system") || exists("proc/cpuinfo") {
            do {
                readings.topology = try HwlocXMLDecoder.decode(try HwlocTopologyLoader.exportXML(root: root))
            } catch {
                readings.warnings.append("topology of the recorded tree unknown: \(error)")
            }
        }
        for name in ["proc/meminfo", "meminfo"] where readings.meminfo == nil && exists(name) {
            readings.meminfo = text(name, limit: .meminfo).map(MeminfoParser.parse)
        }
        for name in ["proc/cpuinfo", "cpuinfo"] where readings.cpuinfo == nil && exists(name) {
            readings.cpuinfo = text(name, limit: .cpuinfo).map(CPUInfoParser.parse)
        }
        if exists("sys/firmware/dmi") || exists("run/udev/data") {
            let smbios = SMBIOSSource.read(root: root)
            readings.smbios = smbios.reading
            readings.warnings += smbios.warnings.filter { !$0.contains("without root") }
        }
        if readings.smbios == nil, exists("dmi.bin") {
            _ = try? readFile(file("dmi.bin"), into: &readings, pciIDsFile: pciIDsFile, warn: true)
        }
        if readings.smbios == nil, exists("dmidecode.txt") {
            _ = try? readFile(file("dmidecode.txt"), into: &readings, pciIDsFile: pciIDsFile, warn: true)
        }
        if exists("sys/bus/pci/devices") {
            readings.pciDevices = SysfsPCIReader.read(root: root)
            readings.pciSource = "sysfs"
        } else if exists("lspci.txt") {
            _ = try? readFile(file("lspci.txt"), into: &readings, pciIDsFile: pciIDsFile, warn: true)
        }
        readings.driverReadings += DRMSysfsReader.read(root: root)
        for name in ["nvml.json", "nvidia-smi.xml", "rocm-smi.json"] where exists(name) {
            _ = try? readFile(file(name), into: &readings, pciIDsFile: pciIDsFile, warn: true)
        }
        return readings
    }

    /// A gathered archive unpacks to `NAME/{sys,proc}`: accept the outer folder too (when
    /// `NAME` lies inside it: a link out of the recording is not a tree of it).
    private static func treeRoot(_ given: HostRoot) -> HostRoot {
        let path = given.path
        let markers = [
            "sys", "proc", "topology.xml", "dmidecode.txt", "dmi.bin", "nvidia-smi.xml", "rocm-smi.json", "nvml.json",
        ]
        if markers.contains(where: { given.exists(path + "/" + $0) }) { return given }
        let children = given.list(path) ?? []
        let trees = children.filter {
            given.exists(path + "/" + $0 + "/sys") && given.linkTarget(path + "/" + $0) == nil
        }
        return trees.count == 1 ? HostRoot(path + "/" + trees[0], resolution: given.resolution) : given
    }

    /// Reads one file by its content; false when the content is of no known kind.
    @discardableResult
    private static func readFile(
        _ file: SafeFile.Location,
        into readings: inout ProbeReadings,
        pciIDsFile: String?,
        warn: Bool = false
    ) throws -> Bool {
        let path = file.path
        let data: Data
        do {
            data = Data(try SafeFile.bytes(file, limit: .recordedOutput))
        } catch {
            readings.warnings.append("\(path) not read: \(error)")
            throw error
        }
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        do {
            if SMBIOSDumpFile.isDump(Array(data.prefix(8))) {
                guard let table = SMBIOSDumpFile.table(Array(data)) else {
                    throw ReplayError.unrecognised(path)
                }
                let decoded = SMBIOSTableDecoder.decode(table)
                readings.smbios = decoded.reading
                readings.warnings += decoded.problems
            } else if head.contains("<topology") {
                readings.topology = try HwlocXMLDecoder.decode(data)
            } else if head.contains("<nvidia_smi_log") {
                let result = try NvidiaSmiXMLReader.read(data)
                readings.driverReadings += result.gpus
                readings.warnings += result.problems
            } else if head.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("[") {
                readings.driverReadings += try ProfileJSON.decoder().decode([GPUDriverReading].self, from: data)
            } else if head.trimmingCharacters(in: .whitespacesAndNewlines).hasPrefix("{") {
                readings.driverReadings += try RocmSmiJSONReader.read(data)
            } else if DmidecodeTextReader.looksLikeDmidecode(head) {
                readings.smbios = DmidecodeTextReader.read(String(decoding: data, as: UTF8.self))
            } else if LspciDump.looksLikeDump(head) {
                readings.pciDevices = try LibpciBus.scan(.dump(path), idsFile: pciIDsFile)
                readings.pciSource = "libpci dump"
            } else if head.contains("MemTotal:") {
                readings.meminfo = MeminfoParser.parse(String(decoding: data, as: UTF8.self))
            } else {
                if warn { readings.warnings.append("\(path): content not recognised, ignored") }
                return false
            }
        } catch {
            readings.warnings.append("\(path) could not be read: \(error)")
            if !warn { throw error }
        }
        return true
    }
}

/// `lspci -x` output: `00:00.0 Host bridge: …` header lines followed by `00: 86 80 …` hex rows.
enum LspciDump {
    static func looksLikeDump(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in
            line.count > 20 && line.hasPrefix("00: ")
                && line.dropFirst(4).prefix(5).allSatisfy { $0.isHexDigit || $0 == " " }
        }
    }
}

import CanrunCore
import Foundation

/// Reads this machine (or the tree under a host root) into `ProbeReadings`, keeping the raw
/// material a recording needs. Every source may fail; a failure becomes a warning and a
/// `nil` fact, never a crash.
public enum MachineProbe {
    public struct Options: Sendable {
        public var root: HostRoot
        /// Where to `dlopen` NVML from; `nil` skips NVML.
        public var nvmlLibrary: String?
        /// Enumerate PCI devices (GPUs); off for a CPU-and-memory-only probe.
        public var includePCI: Bool
        public var pciIDsFile: String?
        /// A copy of the raw SMBIOS table (systemd's credential for canrund), read first.
        public var smbiosTableCopy: String?
        /// Devices that need no pci.ids name (canrun's GPU table knows them). Parsing pci.ids
        /// costs 7–24 ms, so names are looked up only for accelerators the table lacks.
        public var hasOwnName: @Sendable (PCIDeviceRecord) -> Bool

        public init(
            root: HostRoot = .live,
            nvmlLibrary: String? = NVMLLibrary.defaultPath,
            includePCI: Bool = true,
            pciIDsFile: String? = LibpciBus.defaultIDsFile,
            smbiosTableCopy: String? = nil,
            hasOwnName: @escaping @Sendable (PCIDeviceRecord) -> Bool = { _ in false }
        ) {
            self.root = root
            self.nvmlLibrary = nvmlLibrary
            self.includePCI = includePCI
            self.pciIDsFile = pciIDsFile
            self.smbiosTableCopy = smbiosTableCopy
            self.hasOwnName = hasOwnName
        }
    }

    /// The bytes each source read, for `canrun probe --record`.
    public struct Capture: Sendable {
        public var topologyXML: Data?
        public var meminfo: String?
        public var cpuinfo: String?
        public var smbiosTable: [UInt8]?
        public var udevDatabase: String?
        public var nvml: [GPUDriverReading]

        public init(
            topologyXML: Data? = nil,
            meminfo: String? = nil,
            cpuinfo: String? = nil,
            smbiosTable: [UInt8]? = nil,
            udevDatabase: String? = nil,
            nvml: [GPUDriverReading] = []
        ) {
            self.topologyXML = topologyXML
            self.meminfo = meminfo
            self.cpuinfo = cpuinfo
            self.smbiosTable = smbiosTable
            self.udevDatabase = udevDatabase
            self.nvml = nvml
        }
    }

    public static func probe(_ options: Options = Options()) -> (readings: ProbeReadings, capture: Capture) {
        var readings = ProbeReadings()
        var capture = Capture(nvml: [])
        let root = options.root

        do {
            // Live, libpci reads the PCI bus; hwloc's own I/O walk would only repeat it, slowly.
            let xml = try HwlocTopologyLoader.exportXML(root: root, includeIO: !root.isLive)
            capture.topologyXML = xml
            readings.topology = try HwlocXMLDecoder.decode(xml)
        } catch {
            readings.warnings.append("topology unknown: \(error)")
        }
        capture.meminfo = procText(root, "/proc/meminfo", limit: .meminfo, warnings: &readings.warnings)
        readings.meminfo = capture.meminfo.map(MeminfoParser.parse)
        capture.cpuinfo = procText(root, "/proc/cpuinfo", limit: .cpuinfo, warnings: &readings.warnings)
        readings.cpuinfo = capture.cpuinfo.map(CPUInfoParser.parse)
        if root.isLive {
            readings.osSupport = CPUFeatureProbe.osSupport()
            readings.architecture = CPUFeatureProbe.machineArchitecture()
            readings.isLive = true
        }

        let smbios = SMBIOSSource.read(root: root, tableCopy: options.smbiosTableCopy)
        readings.smbios = smbios.reading
        capture.smbiosTable = smbios.rawTable
        capture.udevDatabase = smbios.udevDatabase
        readings.warnings += smbios.warnings

        if options.includePCI {
            readPCI(root: root, options: options, into: &readings)
            readings.driverReadings += DRMSysfsReader.read(root: root)
            if let library = options.nvmlLibrary {
                switch NVMLLibrary.read(libraryPath: library) {
                case .success(let devices):
                    capture.nvml = devices
                    readings.driverReadings = devices + readings.driverReadings
                case .failure(let failure):
                    if readings.pciDevices?.contains(where: {
                        $0.vendorId == 0x10DE && GPUClassifier.classify($0) == .gpu
                    })
                        ?? false
                    {
                        readings.warnings.append(
                            "NVIDIA GPU present but \(failure): memory free and bandwidth are nominal (from canrun's GPU table)"
                        )
                    }
                }
            }
        }
        return (readings, capture)
    }

    /// A procfs file's text, trimmed; nil with a warning when it cannot be read for any reason
    /// but absence (a recording without it).
    private static func procText(
        _ root: HostRoot,
        _ absolute: String,
        limit: ReadLimit,
        warnings: inout [String]
    ) -> String? {
        do {
            return try root.text(root.resolve(absolute), limit: limit).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            if error.problem != .notFound { warnings.append("\(absolute) not used: \(error)") }
            return nil
        }
    }

    private static func readPCI(root: HostRoot, options: Options, into readings: inout ProbeReadings) {
        let bus = root.resolve("/sys/bus/pci")
        guard root.exists(bus + "/devices") else {
            readings.warnings.append("no PCI bus at \(bus): GPUs unknown")
            return
        }
        do {
            // libpci follows every link of a recorded tree: it reads only a tree without links out.
            try TreeLinkCheck.check(root)
            var devices = try LibpciBus.scan(.sysfs(bus), idsFile: options.pciIDsFile) { device in
                GPUClassifier.classify(device) != .notAccelerator && !options.hasOwnName(device)
            }
            let drivers = SysfsPCIReader.read(root: root) ?? []
            for index in devices.indices {
                let twin = drivers.first { $0.address == devices[index].address }
                devices[index].driver = twin?.driver
                devices[index].link = twin?.link
            }
            readings.pciDevices = devices
            readings.pciSource = "libpci"
        } catch {
            // A partial tree (snapshots without `config`/`resource`) defeats libpci; read sysfs directly.
            readings.pciDevices = SysfsPCIReader.read(root: root)
            readings.pciSource = "sysfs"
        }
    }
}

/// Everything the probe's sources read from one machine, live or recorded, before any decision.
///
/// Each field is `nil` when its source was absent or unreadable; the adapter that failed adds a
/// sentence to `warnings` saying what was missing and what to do.
public struct ProbeReadings: Sendable, Equatable {
    public var topology: TopologyFacts?
    public var meminfo: MeminfoParser.Meminfo?
    public var cpuinfo: CPUInfoParser.CPUInfo?
    public var osSupport: ISAAssessment.OSSupport
    public var smbios: SMBIOSReading?
    /// PCI functions from libpci or sysfs; `nil` when the bus could not be read.
    public var pciDevices: [PCIDeviceRecord]?
    /// Where `pciDevices` came from (`libpci sysfs`, `libpci dump`).
    public var pciSource: String?
    public var driverReadings: [GPUDriverReading]
    /// `uname -m` of a live machine.
    public var architecture: String?
    /// True when read from the running kernel, whose per-node memory can lag `MemTotal` while
    /// deferred page initialisation runs (seen on the development VMs: 4.6 of 23.5 GiB).
    public var isLive: Bool
    public var warnings: [String]

    public init(
        topology: TopologyFacts? = nil,
        meminfo: MeminfoParser.Meminfo? = nil,
        cpuinfo: CPUInfoParser.CPUInfo? = nil,
        osSupport: ISAAssessment.OSSupport = .init(),
        smbios: SMBIOSReading? = nil,
        pciDevices: [PCIDeviceRecord]? = nil,
        pciSource: String? = nil,
        driverReadings: [GPUDriverReading] = [],
        architecture: String? = nil,
        isLive: Bool = false,
        warnings: [String] = []
    ) {
        self.topology = topology
        self.meminfo = meminfo
        self.cpuinfo = cpuinfo
        self.osSupport = osSupport
        self.smbios = smbios
        self.pciDevices = pciDevices
        self.pciSource = pciSource
        self.driverReadings = driverReadings
        self.architecture = architecture
        self.isLive = isLive
        self.warnings = warnings
    }
}

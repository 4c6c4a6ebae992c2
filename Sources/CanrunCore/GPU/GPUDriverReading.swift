/// What a driver or vendor tool reported about one GPU (NVML, amdgpu or xe sysfs,
/// `nvidia-smi -q -x`, `rocm-smi --json`), merged into the PCI view by address.
public struct GPUDriverReading: Codable, Sendable, Equatable {
    public var pciAddress: String?
    public var vendorId: UInt16?
    public var deviceId: UInt16?
    public var subsystem: String?
    public var name: String?
    /// Dedicated memory, bytes.
    public var memoryBytes: Int64?
    public var memoryFreeBytes: Int64?
    /// Memory bus width (NVML), bits.
    public var busWidthBits: Int?
    /// Maximum memory clock (NVML `NVML_CLOCK_MEM`), MHz; DDR, so bandwidth = width ÷ 8 × clock × 2.
    public var maxMemoryClockMhz: Int?
    /// GTT (system memory the GPU may map), bytes: amdgpu only.
    public var gttBytes: Int64?
    public var architecture: String?
    /// The PCIe link to the host (`nvidia-smi`'s maximum generation and width, a DRM card's sysfs).
    public var pcieLink: PCIeLink?
    /// The power the driver lets the board draw now, W (NVML's enforced limit, `nvidia-smi`'s
    /// `enforced_power_limit`, amdgpu's `hwmon/power1_cap`): an administrator's cap below the
    /// rated power lowers the clock matrix work holds (`PrefillSpeedModel.clockFraction`).
    public var powerLimitW: Double? = nil
    /// `nvml`, `amdgpu_sysfs`, `xe_sysfs`, `nvidia-smi`, `rocm-smi`.
    public var source: String
    public var driver: String?

    public init(
        pciAddress: String? = nil,
        vendorId: UInt16? = nil,
        deviceId: UInt16? = nil,
        subsystem: String? = nil,
        name: String? = nil,
        memoryBytes: Int64? = nil,
        memoryFreeBytes: Int64? = nil,
        busWidthBits: Int? = nil,
        maxMemoryClockMhz: Int? = nil,
        gttBytes: Int64? = nil,
        architecture: String? = nil,
        pcieLink: PCIeLink? = nil,
        source: String,
        driver: String? = nil
    ) {
        self.pciAddress = pciAddress
        self.vendorId = vendorId
        self.deviceId = deviceId
        self.subsystem = subsystem
        self.name = name
        self.memoryBytes = memoryBytes
        self.memoryFreeBytes = memoryFreeBytes
        self.busWidthBits = busWidthBits
        self.maxMemoryClockMhz = maxMemoryClockMhz
        self.gttBytes = gttBytes
        self.architecture = architecture
        self.pcieLink = pcieLink
        self.source = source
        self.driver = driver
    }

    /// Peak bandwidth from bus width and memory clock, bytes per second (GDDR/HBM transfer twice
    /// per clock as NVML reports it): H100 SXM 5120 bit × 2619 MHz → 3.35 TB/s. `nil` unless both
    /// are known and the product is within `PhysicalBounds.bytesPerS`.
    public var bandwidthBytesPerS: Int64? {
        guard let width = busWidthBits, let clock = maxMemoryClockMhz,
            PhysicalBounds.busWidthBits.contains(width), PhysicalBounds.clockMhz.contains(clock)
        else { return nil }
        // At most 8192 B × 100000 MHz × 2 × 10^6 = 1.6 × 10^15: no overflow; the bound decides.
        let rate = Int64(width / 8) * Int64(clock) * 2_000_000
        return PhysicalBounds.bytesPerS.contains(rate) ? rate : nil
    }

    /// This reading with every number outside `PhysicalBounds` unknown, each said in `problems`.
    public func bounded(problems: inout [String]) -> GPUDriverReading {
        var r = self
        let source = "\(self.source) GPU \(pciAddress ?? name ?? "?")"
        r.memoryBytes = PhysicalBounds.memoryBytes.admit(memoryBytes, from: source + " memory", problems: &problems)
        r.memoryFreeBytes = PhysicalBounds.memoryBytes.admit(
            memoryFreeBytes,
            from: source + " free memory",
            problems: &problems
        )
        r.gttBytes = PhysicalBounds.memoryBytes.admit(gttBytes, from: source + " GTT", problems: &problems)
        r.busWidthBits = PhysicalBounds.busWidthBits.admit(busWidthBits, from: source, problems: &problems)
        r.maxMemoryClockMhz = PhysicalBounds.clockMhz.admit(
            maxMemoryClockMhz,
            from: source + " memory",
            problems: &problems
        )
        r.powerLimitW = PhysicalBounds.boardPowerW.admit(
            powerLimitW,
            from: source + " power limit",
            problems: &problems
        )
        if let link = pcieLink, !PhysicalBounds.bytesPerS.contains(link.bytesPerS) {
            problems.append(PhysicalBounds.bytesPerS.problem("\(link.bytesPerS)", from: source + " PCIe link"))
            r.pcieLink = nil
        }
        if r.bandwidthBytesPerS == nil, let width = r.busWidthBits, let clock = r.maxMemoryClockMhz {
            problems.append(
                PhysicalBounds.bytesPerS.problem("\(width) bits × \(clock) MHz × 2", from: source + " memory bandwidth")
            )
            r.busWidthBits = nil
            r.maxMemoryClockMhz = nil
        }
        return r
    }
}

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
    /// per clock as NVML reports it): H100 SXM 5120 bit × 2619 MHz → 3.35 TB/s.
    public var bandwidthBytesPerS: Int64? {
        guard let width = busWidthBits, let clock = maxMemoryClockMhz, width > 0, clock > 0 else { return nil }
        return Int64(width / 8) * Int64(clock) * 2_000_000
    }
}

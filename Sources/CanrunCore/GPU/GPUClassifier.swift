/// Decides which PCI functions are compute GPUs.
///
/// A GPU is a display or 3D controller (class `0300`, `0302`, `0380`) or a processing
/// accelerator (`1200`, the MI300 class) **from a vendor whose GPUs LLM runtimes drive**: NVIDIA,
/// AMD, Intel. Matching the vendor alone over-counts (NVSwitch bridges are `10de`); matching the
/// class alone counts BMC and virtual displays (ASPEED, Matrox, virtio-gpu, QEMU VGA).
public enum GPUClassifier {
    public enum Kind: Sendable, Equatable {
        case gpu
        /// A co-processor LLM runtimes cannot use (NEC Vector Engine, Xeon Phi, Gaudi).
        case otherAccelerator
        case notAccelerator
    }

    public static let gpuClasses: Set<UInt16> = [0x0300, 0x0302, 0x0380, 0x1200]
    public static let gpuVendors: [UInt16: String] = [0x10DE: "NVIDIA", 0x1002: "AMD", 0x8086: "Intel"]

    public static func classify(_ device: PCIDeviceRecord) -> Kind {
        let gpuVendor = gpuVendors[device.vendorId] != nil
        if gpuClasses.contains(device.classCode) && gpuVendor { return .gpu }
        if device.classCode == 0x0B40 || (device.classCode == 0x1200 && !gpuVendor) { return .otherAccelerator }
        return .notAccelerator
    }

    /// Integrated GPUs share system memory: Intel's iGPU sits at `00:02.0` by platform
    /// convention; others are known from the table's `integrated` segment.
    public static func isIntegrated(_ device: PCIDeviceRecord, entry: GPUTable.Entry?) -> Bool {
        if let entry { return entry.isUnified }
        return device.vendorId == 0x8086 && device.address.hasSuffix("00:02.0")
    }
}

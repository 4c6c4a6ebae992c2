import CanrunCore
import Foundation

/// NVIDIA's management library, loaded with `dlopen` so canrun has no link-time NVIDIA
/// dependency and runs unchanged where no driver is installed.
///
/// Reads, per device: PCI address and ids, name, memory total and free, memory bus width and
/// maximum memory clock (peak bandwidth = width ÷ 8 × clock × 2).
public enum NVMLLibrary {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public static let defaultPath = "libnvidia-ml.so.1"

    private typealias InitFn = @convention(c) () -> Int32
    private typealias CountFn = @convention(c) (UnsafeMutablePointer<UInt32>) -> Int32
    private typealias HandleFn = @convention(c) (UInt32, UnsafeMutablePointer<OpaquePointer?>) -> Int32
    private typealias BufferFn = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer, UInt32) -> Int32
    private typealias RawFn = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer) -> Int32
    private typealias UIntFn = @convention(c) (OpaquePointer?, UnsafeMutablePointer<UInt32>) -> Int32
    private typealias ClockFn = @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<UInt32>) -> Int32

    /// Readings of every device, or a failure saying why NVML is unusable (no library: no
    /// NVIDIA driver; init error: driver/library mismatch, no permission).
    public static func read(libraryPath: String = defaultPath) -> Result<[GPUDriverReading], Failure> {
        guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
            return .failure(Failure(message: "NVML not available (\(reason))"))
        }
        defer { dlclose(handle) }
        func symbol<T>(_ name: String, _: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
        }
        guard let initialise = symbol("nvmlInit_v2", InitFn.self), let shutdown = symbol("nvmlShutdown", InitFn.self),
            let count = symbol("nvmlDeviceGetCount_v2", CountFn.self),
            let handleByIndex = symbol("nvmlDeviceGetHandleByIndex_v2", HandleFn.self)
        else { return .failure(Failure(message: "NVML library at \(libraryPath) lacks the v2 entry points")) }
        let status = initialise()
        guard status == 0 else { return .failure(Failure(message: "nvmlInit_v2 failed with NVML error \(status)")) }
        defer { _ = shutdown() }
        var n: UInt32 = 0
        guard count(&n) == 0 else { return .failure(Failure(message: "nvmlDeviceGetCount_v2 failed")) }
        let name = symbol("nvmlDeviceGetName", BufferFn.self)
        let memory = symbol("nvmlDeviceGetMemoryInfo", RawFn.self)
        // Same struct in all three versions; v3 exists from R470 drivers on.
        let pci =
            symbol("nvmlDeviceGetPciInfo_v3", RawFn.self) ?? symbol("nvmlDeviceGetPciInfo_v2", RawFn.self)
            ?? symbol("nvmlDeviceGetPciInfo", RawFn.self)
        let busWidth = symbol("nvmlDeviceGetMemoryBusWidth", UIntFn.self)
        let maxClock = symbol("nvmlDeviceGetMaxClockInfo", ClockFn.self)
        var readings: [GPUDriverReading] = []
        for index in 0..<min(n, 64) {
            var device: OpaquePointer?
            guard handleByIndex(index, &device) == 0 else { continue }
            var reading = GPUDriverReading(source: "nvml", driver: "nvidia")
            var buffer = [UInt8](repeating: 0, count: 128)
            if let name, buffer.withUnsafeMutableBytes({ name(device, $0.baseAddress!, 96) }) == 0 {
                reading.name = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
            }
            // nvmlPciInfo_t: char busIdLegacy[16]; uint domain, bus, device, pciDeviceId,
            // pciSubSystemId; char busId[32].
            buffer = [UInt8](repeating: 0, count: 128)
            if let pci, buffer.withUnsafeMutableBytes({ pci(device, $0.baseAddress!) }) == 0 {
                let word = { (offset: Int) in
                    buffer[offset..<(offset + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                }
                let deviceWord = word(28)
                let subsystemWord = word(32)
                reading.vendorId = UInt16(deviceWord & 0xFFFF)
                reading.deviceId = UInt16(deviceWord >> 16)
                reading.subsystem = String(format: "%04x:%04x", subsystemWord & 0xFFFF, subsystemWord >> 16)
                reading.pciAddress = String(format: "%04x:%02x:%02x.0", word(16), word(20), word(24))
            }
            // nvmlMemory_t: unsigned long long total, free, used.
            var values = [UInt64](repeating: 0, count: 3)
            if let memory, values.withUnsafeMutableBytes({ memory(device, $0.baseAddress!) }) == 0 {
                reading.memoryBytes = Int64(values[0])
                reading.memoryFreeBytes = Int64(values[1])
            }
            var width: UInt32 = 0
            if let busWidth, busWidth(device, &width) == 0, width > 0 { reading.busWidthBits = Int(width) }
            var mhz: UInt32 = 0
            // NVML_CLOCK_MEM = 2
            if let maxClock, maxClock(device, 2, &mhz) == 0, mhz > 0 { reading.maxMemoryClockMhz = Int(mhz) }
            readings.append(reading)
        }
        return .success(readings)
    }
}

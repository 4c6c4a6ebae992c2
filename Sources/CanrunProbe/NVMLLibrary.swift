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
        Session.open(libraryPath: libraryPath).map { $0.readings() }
    }

    /// NVML loaded and initialised once, for a process that asks again and again (the daemon's
    /// free-memory readings): loading and initialising costs far more than a query. Shut down
    /// and unloaded when the session is released.
    public final class Session: @unchecked Sendable {
        private let handle: UnsafeMutableRawPointer
        private let shutdown: InitFn
        private let count: CountFn
        private let handleByIndex: HandleFn
        private let name: BufferFn?
        private let memory: RawFn?
        private let pci: RawFn?
        private let busWidth: UIntFn?
        private let maxClock: ClockFn?
        private let powerLimit: UIntFn?
        /// NVML calls from one thread at a time.
        private let lock = NSLock()

        public static func open(libraryPath: String = defaultPath) -> Result<Session, Failure> {
            guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
                let reason = dlerror().map { String(cString: $0) } ?? "unknown dlopen error"
                return .failure(Failure(message: "NVML not available (\(reason))"))
            }
            func symbol<T>(_ name: String, _: T.Type) -> T? {
                dlsym(handle, name).map { unsafeBitCast($0, to: T.self) }
            }
            guard let initialise = symbol("nvmlInit_v2", InitFn.self),
                let shutdown = symbol("nvmlShutdown", InitFn.self),
                let count = symbol("nvmlDeviceGetCount_v2", CountFn.self),
                let handleByIndex = symbol("nvmlDeviceGetHandleByIndex_v2", HandleFn.self)
            else {
                dlclose(handle)
                return .failure(Failure(message: "NVML library at \(libraryPath) lacks the v2 entry points"))
            }
            let status = initialise()
            guard status == 0 else {
                dlclose(handle)
                return .failure(Failure(message: "nvmlInit_v2 failed with NVML error \(status)"))
            }
            return .success(
                Session(
                    handle: handle,
                    shutdown: shutdown,
                    count: count,
                    handleByIndex: handleByIndex,
                    name: symbol("nvmlDeviceGetName", BufferFn.self),
                    memory: symbol("nvmlDeviceGetMemoryInfo", RawFn.self),
                    // Same struct in all three versions; v3 exists from R470 drivers on.
                    pci: symbol("nvmlDeviceGetPciInfo_v3", RawFn.self) ?? symbol("nvmlDeviceGetPciInfo_v2", RawFn.self)
                        ?? symbol("nvmlDeviceGetPciInfo", RawFn.self),
                    busWidth: symbol("nvmlDeviceGetMemoryBusWidth", UIntFn.self),
                    maxClock: symbol("nvmlDeviceGetMaxClockInfo", ClockFn.self),
                    powerLimit: symbol("nvmlDeviceGetEnforcedPowerLimit", UIntFn.self)
                )
            )
        }

        private init(
            handle: UnsafeMutableRawPointer,
            shutdown: InitFn,
            count: CountFn,
            handleByIndex: HandleFn,
            name: BufferFn?,
            memory: RawFn?,
            pci: RawFn?,
            busWidth: UIntFn?,
            maxClock: ClockFn?,
            powerLimit: UIntFn?
        ) {
            self.handle = handle
            self.shutdown = shutdown
            self.count = count
            self.handleByIndex = handleByIndex
            self.name = name
            self.memory = memory
            self.pci = pci
            self.busWidth = busWidth
            self.maxClock = maxClock
            self.powerLimit = powerLimit
        }

        deinit {
            _ = shutdown()
            dlclose(handle)
        }

        /// Every device as the driver sees it now.
        /// - Parameter details: also its name, bus width and memory clock, which never change;
        ///   without them a reading is the address and the memory (what a free-memory poll needs).
        public func readings(details: Bool = true) -> [GPUDriverReading] {
            lock.lock()
            defer { lock.unlock() }
            var n: UInt32 = 0
            guard count(&n) == 0 else { return [] }
            var readings: [GPUDriverReading] = []
            for index in 0..<min(n, 64) {
                var device: OpaquePointer?
                guard handleByIndex(index, &device) == 0 else { continue }
                var reading = GPUDriverReading(source: "nvml", driver: "nvidia")
                var buffer = [UInt8](repeating: 0, count: 128)
                if details, let name, buffer.withUnsafeMutableBytes({ name(device, $0.baseAddress!, 96) }) == 0 {
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
                if details {
                    var width: UInt32 = 0
                    if let busWidth, busWidth(device, &width) == 0, width > 0 { reading.busWidthBits = Int(width) }
                    var mhz: UInt32 = 0
                    // NVML_CLOCK_MEM = 2
                    if let maxClock, maxClock(device, 2, &mhz) == 0, mhz > 0 { reading.maxMemoryClockMhz = Int(mhz) }
                    // Milliwatts; an administrator may have set it below the board's rating.
                    var milliwatts: UInt32 = 0
                    if let powerLimit, powerLimit(device, &milliwatts) == 0,
                        PhysicalBounds.boardPowerW.contains(Double(milliwatts) / 1000)
                    {
                        reading.powerLimitW = Double(milliwatts) / 1000
                    }
                }
                readings.append(reading)
            }
            return readings
        }
    }
}

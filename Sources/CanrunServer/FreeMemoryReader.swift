import CanrunCore
import CanrunProbe
import Foundation
import NIOConcurrencyHelpers

/// RAM free now from `/proc/meminfo`, and GPU memory free now from the drivers that gave the
/// probe its GPU memory (NVML, amdgpu/xe sysfs): what a request's `fits_now` is judged against.
/// NVML is loaded and initialised once and kept (that costs far more than a reading). canrund
/// reads it once a second off the event loops and publishes the reading (`APIDispatcher.publish`).
public final class FreeMemoryReader: Sendable {
    /// Where the probe's GPU memory came from: only those drivers are asked again.
    private let usesNVML: Bool
    private let usesDRM: Bool
    /// nil: not tried yet; `.some(nil)`: NVML is not used or not available.
    private let nvml = NIOLockedValueBox<NVMLLibrary.Session??>(nil)

    public init(machine: MachineProfile) {
        let sources = Set((machine.gpus ?? []).compactMap(\.memorySource))
        usesNVML = sources.contains("nvml")
        usesDRM = sources.contains("amdgpu_sysfs") || sources.contains("xe_sysfs")
    }

    /// The NVML session, opened on first use outside the lock (loading and initialising the
    /// library can take seconds; nobody waits on the lock meanwhile). Two first readers racing
    /// both open it, and the later keeps the earlier's.
    private func session() -> NVMLLibrary.Session? {
        if let tried = nvml.withLockedValue({ $0 }) { return tried }
        var opened: NVMLLibrary.Session?
        if usesNVML, case .success(let session) = NVMLLibrary.Session.open() {
            opened = session
        }
        return nvml.withLockedValue { state in
            if let tried = state { return tried }
            state = .some(opened)
            return opened
        }
    }

    public func read() -> APIDispatcher.FreeMemory {
        let ram = (try? SafeFile.text("/proc/meminfo", limit: .meminfo)).flatMap {
            MeminfoParser.parse($0).availableBytes
        }
        var readings = session()?.readings(details: false) ?? []
        if usesDRM { readings += DRMSysfsReader.read(root: .live, links: false) }
        var gpus: [String: Int64] = [:]
        for reading in readings {
            if let address = reading.pciAddress, let free = reading.memoryFreeBytes { gpus[address] = free }
        }
        return .init(ramBytes: ram, gpuBytes: gpus)
    }
}

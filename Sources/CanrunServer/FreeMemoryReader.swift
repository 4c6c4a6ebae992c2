import CanrunCore
import CanrunProbe
import Foundation
import NIOConcurrencyHelpers

/// RAM free now from `/proc/meminfo`, and GPU memory free now from the drivers that gave the
/// probe its GPU memory (NVML, amdgpu/xe sysfs): what a request's `fits_now` is judged against.
/// NVML is loaded and initialised once and kept (that costs far more than a reading); `prepare`
/// does it ahead of the first request, off the event loop.
public final class FreeMemoryReader: Sendable {
    private let machine: MachineProfile
    /// nil: not tried yet; `.some(nil)`: NVML is not used or not available.
    private let nvml = NIOLockedValueBox<NVMLLibrary.Session??>(nil)

    public init(machine: MachineProfile) {
        self.machine = machine
    }

    /// Opens NVML when the probe's GPU memory came from it.
    public func prepare() { _ = session() }

    private func session() -> NVMLLibrary.Session? {
        nvml.withLockedValue { state in
            if let tried = state { return tried }
            var opened: NVMLLibrary.Session?
            if (machine.gpus ?? []).contains(where: { $0.memorySource == "nvml" }),
                case .success(let session) = NVMLLibrary.Session.open()
            {
                opened = session
            }
            state = .some(opened)
            return opened
        }
    }

    public func read() -> APIDispatcher.FreeMemory {
        let ram = (try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8)).flatMap {
            MeminfoParser.parse($0).availableBytes
        }
        var readings = session()?.readings() ?? []
        let sources = Set((machine.gpus ?? []).compactMap(\.memorySource))
        if sources.contains("amdgpu_sysfs") || sources.contains("xe_sysfs") {
            readings += DRMSysfsReader.read(root: .live)
        }
        var gpus: [String: Int64] = [:]
        for reading in readings {
            if let address = reading.pciAddress, let free = reading.memoryFreeBytes { gpus[address] = free }
        }
        return .init(ramBytes: ram, gpuBytes: gpus)
    }
}

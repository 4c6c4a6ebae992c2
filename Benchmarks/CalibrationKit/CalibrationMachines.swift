import CanrunCore

/// `Benchmarks/calibration/machines.toml`: the machine facts of each run's `hardware`, in
/// presets.toml's keys, turned into the profile canrun would answer for.
public struct CalibrationMachines: Sendable {
    struct Entry: Decodable, Sendable {
        var hardware: [String]
        var gpu: String?
        /// The card's memory where the GPU table's entry covers several sizes.
        var gpu_memory_gib: Int?
        var ram_gib: Int?
        var memory_bandwidth_gbs: Double?
        var cpu_cores: Int?
        var cpu_mhz: Int?
        var cpu_isa: [String]?
        var cpu_vendor: String?
        var cpu_model: String?
        var apple_chip: String?
        var apple_gpu_cores: Int?
    }

    let host: Entry
    let byHardware: [String: Entry]
    let gpus: GPUTable

    public init(toml: String, gpus: GPUTable) throws {
        struct Host: Decodable {
            var ram_gib: Int
            var memory_bandwidth_gbs: Double
            var cpu_cores: Int
            var cpu_mhz: Int
            var cpu_isa: [String]
        }
        struct Whole: Decodable {
            var host: Host
            var machine: [Entry]
        }
        let file = try TOMLDocument.decode(Whole.self, from: toml)
        host = Entry(
            hardware: [],
            ram_gib: file.host.ram_gib,
            memory_bandwidth_gbs: file.host.memory_bandwidth_gbs,
            cpu_cores: file.host.cpu_cores,
            cpu_mhz: file.host.cpu_mhz,
            cpu_isa: file.host.cpu_isa
        )
        var byHardware: [String: Entry] = [:]
        for entry in file.machine {
            for name in entry.hardware { byHardware[name] = entry }
        }
        self.byHardware = byHardware
        self.gpus = gpus
    }

    /// Why a run has no machine.
    public enum Missing: Error, CustomStringConvertible {
        case unknownHardware(String)
        case memoryNotStated(String)
        case invalid(String)

        public var description: String {
            switch self {
            case .unknownHardware(let h): "machines.toml has no machine for '\(h)'"
            case .memoryNotStated(let h): "'\(h)': the memory is not stated, so its bandwidth is unknown"
            case .invalid(let why): why
            }
        }
    }

    /// The profile of `run`'s machine: its GPU `gpuCount` times (or its Apple chip, or its CPU
    /// alone), on the host's figures where the entry gives none.
    public func profile(for run: CalibrationRun) throws(Missing) -> MachineProfile {
        guard let e = byHardware[run.hardware] else { throw .unknownHardware(run.hardware) }
        let cpuOnly = e.gpu == nil && e.apple_chip == nil
        if cpuOnly, e.memory_bandwidth_gbs == nil { throw .memoryNotStated(run.hardware) }
        var machine = HardwarePresets.Machine(
            name: run.hardware,
            ramGiB: e.ram_gib ?? host.ram_gib ?? 512,
            memoryBandwidthGBs: e.memory_bandwidth_gbs ?? host.memory_bandwidth_gbs ?? 100,
            cpuCores: e.cpu_cores ?? host.cpu_cores ?? 16,
            cpuMHz: e.cpu_mhz ?? host.cpu_mhz ?? 4500,
            cpuISA: e.cpu_isa ?? host.cpu_isa ?? [],
            gpus: e.gpu.map { Array(repeating: $0, count: max(1, run.gpuCount)) },
            appleChip: e.apple_chip,
            appleGPUCores: e.apple_gpu_cores
        )
        machine.cpuVendor = e.cpu_vendor
        machine.cpuModel = e.cpu_model
        var profile: MachineProfile
        do {
            profile = try HardwarePresets.profile(machine, gpus: gpus)
        } catch {
            throw .invalid(String(describing: error))
        }
        if let gib = e.gpu_memory_gib {
            for index in profile.gpus?.indices ?? 0..<0 { profile.gpus?[index].memoryBytes = Int64(gib) << 30 }
        }
        return profile
    }
}

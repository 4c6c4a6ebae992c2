/// Reference machines (`config/presets.toml`) that `canrun fit --preset NAME` and the speed
/// matrix answer for: memory, its theoretical bandwidth, CPU and GPUs as published, turned into
/// the same `MachineProfile` a probe of such a machine would give (without a measured bandwidth,
/// so speeds rest on the theoretical peak, as the report's basis says).
public struct HardwarePresets: Sendable {
    public struct Preset: Sendable, Equatable {
        public var name: String
        public var description: String
        public var profile: MachineProfile

        public init(name: String, description: String, profile: MachineProfile) {
            self.name = name
            self.description = description
            self.profile = profile
        }
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case invalid(String)

        public var description: String {
            switch self {
            case .invalid(let why): "presets.toml: \(why)"
            }
        }
    }

    public let presets: [Preset]

    /// A machine as presets.toml describes it.
    public struct Machine: Decodable, Sendable, Equatable {
        public var name: String
        public var description: String?
        public var ramGiB: Int
        /// The memory's theoretical peak, GB/s (10^9 bytes).
        public var memoryBandwidthGBs: Double
        public var cpuVendor: String?
        /// The CPU's model as a probe names it (`Neoverse V1 (0xd40)` on ARM, `model name` on x86).
        public var cpuModel: String?
        public var cpuCores: Int
        /// The fastest core's maximum clock.
        public var cpuMHz: Int
        public var cpuISA: [String]
        /// Names from config/gpus.toml, one per card.
        public var gpus: [String]?
        public var appleChip: String?
        public var appleGPUCores: Int?

        enum CodingKeys: String, CodingKey {
            case name, description, gpus
            case ramGiB = "ram_gib"
            case memoryBandwidthGBs = "memory_bandwidth_gbs"
            case cpuVendor = "cpu_vendor"
            case cpuModel = "cpu_model"
            case cpuCores = "cpu_cores"
            case cpuMHz = "cpu_mhz"
            case cpuISA = "cpu_isa"
            case appleChip = "apple_chip"
            case appleGPUCores = "apple_gpu_cores"
        }

        public init(
            name: String,
            ramGiB: Int,
            memoryBandwidthGBs: Double,
            cpuCores: Int,
            cpuMHz: Int,
            cpuISA: [String],
            gpus: [String]? = nil,
            appleChip: String? = nil,
            appleGPUCores: Int? = nil
        ) {
            self.name = name
            self.ramGiB = ramGiB
            self.memoryBandwidthGBs = memoryBandwidthGBs
            self.cpuCores = cpuCores
            self.cpuMHz = cpuMHz
            self.cpuISA = cpuISA
            self.gpus = gpus
            self.appleChip = appleChip
            self.appleGPUCores = appleGPUCores
        }
    }

    /// - Parameter gpus: the GPU table presets name their cards from.
    public init(toml: String, gpus: GPUTable) throws {
        struct File: Decodable { var preset: [Machine] }
        let file: File
        do {
            file = try TOMLDocument.decode(File.self, from: toml)
        } catch {
            throw LoadError.invalid(String(describing: error))
        }
        var seen: Set<String> = []
        presets = try file.preset.map { e in
            guard seen.insert(e.name).inserted else { throw LoadError.invalid("preset \(e.name) is listed twice") }
            guard let description = e.description else {
                throw LoadError.invalid("preset \(e.name) needs a description")
            }
            return Preset(name: e.name, description: description, profile: try Self.profile(e, gpus: gpus))
        }
    }

    /// The profile a probe of machine `e` would give (no measured bandwidth: its theoretical one).
    public static func profile(_ e: Machine, gpus: GPUTable) throws -> MachineProfile {
        guard e.ramGiB > 0, e.memoryBandwidthGBs > 0, e.cpuCores > 0, e.cpuMHz > 0 else {
            throw LoadError.invalid("preset \(e.name) needs positive ram_gib, memory_bandwidth_gbs, cpu_cores, cpu_mhz")
        }
        let ram = Int64(e.ramGiB) << 30
        var profile = MachineProfile(
            memory: MemoryFacts(totalBytes: ram, availableBytes: ram),
            numaNodes: [NUMANodeFacts(id: 0, memoryBytes: ram, cpus: Array(0..<e.cpuCores))],
            gpus: []
        )
        profile.memory.theoreticalBandwidthBytesPerS = Int64(e.memoryBandwidthGBs * 1e9)
        profile.cpu = CPUFacts(
            vendor: e.cpuVendor,
            model: e.cpuModel,
            cores: e.cpuCores,
            threads: e.cpuCores,
            isa: e.cpuISA,
            frequencyMaxMhz: e.cpuMHz
        )
        var cards: [GPUFacts] = []
        for name in e.gpus ?? [] {
            guard let entry = gpus.lookup(productName: name) else {
                throw LoadError.invalid("preset \(e.name): GPU '\(name)' is not in gpus.toml")
            }
            cards.append(GPUFacts(table: entry))
        }
        if let chip = e.appleChip {
            guard chip.hasPrefix("Apple M"), let cores = e.appleGPUCores, cores > 0 else {
                throw LoadError.invalid("preset \(e.name): apple_chip must be an Apple M chip with apple_gpu_cores")
            }
            // Apple publishes no GPU clock after M2: its peak, and so prefill, stays unknown.
            let flops = ComputePeak.appleGPUFlopsPerS(chip: chip, gpuCores: cores)
            cards.append(
                GPUFacts(
                    vendor: "Apple",
                    name: "\(chip) (\(cores)-core GPU)",
                    nameSource: "preset",
                    bandwidthBytesPerS: Int64(e.memoryBandwidthGBs * 1e9),
                    bandwidthSource: "table",
                    fp16FlopsPerS: flops.map { Int64($0.rounded()) },
                    unifiedMemory: true
                )
            )
        }
        profile.gpus = cards
        return profile
    }

    public func preset(named name: String) -> Preset? { presets.first { $0.name == name.lowercased() } }
}

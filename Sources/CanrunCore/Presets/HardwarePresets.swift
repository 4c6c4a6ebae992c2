/// Reference machines (`config/presets.toml`) that `canrun fit --preset NAME` and the speed
/// matrix answer for: memory, its theoretical bandwidth, CPU and GPUs as published, turned into
/// the same `MachineProfile` a probe of such a machine would give (without a measured bandwidth,
/// so speeds rest on the theoretical peak, as the report's basis says).
public struct HardwarePresets: Sendable {
    public struct Preset: Sendable, Equatable {
        public var name: String
        public var description: String
        public var profile: MachineProfile
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

    /// - Parameter gpus: the GPU table presets name their cards from.
    public init(toml: String, gpus: GPUTable) throws {
        struct File: Decodable { var preset: [Entry] }
        struct Entry: Decodable {
            var name: String
            var description: String
            var ram_gib: Int
            var memory_bandwidth_gbs: Double
            var cpu_vendor: String?
            var cpu_cores: Int
            var cpu_mhz: Int
            var cpu_isa: [String]
            var gpus: [String]?
            var apple_chip: String?
            var apple_gpu_cores: Int?
        }
        let file: File
        do {
            file = try TOMLDocument.decode(File.self, from: toml)
        } catch {
            throw LoadError.invalid(String(describing: error))
        }
        var seen: Set<String> = []
        presets = try file.preset.map { e in
            guard seen.insert(e.name).inserted else { throw LoadError.invalid("preset \(e.name) is listed twice") }
            guard e.ram_gib > 0, e.memory_bandwidth_gbs > 0, e.cpu_cores > 0, e.cpu_mhz > 0 else {
                throw LoadError.invalid(
                    "preset \(e.name) needs positive ram_gib, memory_bandwidth_gbs, cpu_cores, cpu_mhz"
                )
            }
            let ram = Int64(e.ram_gib) << 30
            var profile = MachineProfile(
                memory: MemoryFacts(totalBytes: ram, availableBytes: ram),
                numaNodes: [NUMANodeFacts(id: 0, memoryBytes: ram, cpus: Array(0..<e.cpu_cores))],
                gpus: []
            )
            profile.memory.theoreticalBandwidthBytesPerS = Int64(e.memory_bandwidth_gbs * 1e9)
            profile.cpu = CPUFacts(
                vendor: e.cpu_vendor,
                cores: e.cpu_cores,
                threads: e.cpu_cores,
                isa: e.cpu_isa,
                frequencyMaxMhz: e.cpu_mhz
            )
            var cards: [GPUFacts] = []
            for name in e.gpus ?? [] {
                guard let entry = gpus.lookup(productName: name) else {
                    throw LoadError.invalid("preset \(e.name): GPU '\(name)' is not in gpus.toml")
                }
                cards.append(
                    GPUFacts(
                        vendor: entry.vendor,
                        name: entry.name,
                        nameSource: "table",
                        memoryBytes: entry.isUnified ? nil : entry.memoryBytes,
                        memorySource: "table",
                        bandwidthBytesPerS: entry.bandwidthBytesPerS,
                        bandwidthSource: "table",
                        fp16FlopsPerS: entry.fp16FlopsPerS,
                        architecture: entry.architecture,
                        unifiedMemory: entry.isUnified,
                        pcieLink: entry.isUnified ? nil : entry.pcieLink
                    )
                )
            }
            if let chip = e.apple_chip {
                guard chip.hasPrefix("Apple M"), let cores = e.apple_gpu_cores, cores > 0 else {
                    throw LoadError.invalid("preset \(e.name): apple_chip must be an Apple M chip with apple_gpu_cores")
                }
                // Apple publishes no GPU clock after M2: its peak, and so prefill, stays unknown.
                let flops = ComputePeak.appleGPUFlopsPerS(chip: chip, gpuCores: cores)
                cards.append(
                    GPUFacts(
                        vendor: "Apple",
                        name: "\(chip) (\(cores)-core GPU)",
                        nameSource: "preset",
                        bandwidthBytesPerS: Int64(e.memory_bandwidth_gbs * 1e9),
                        bandwidthSource: "table",
                        fp16FlopsPerS: flops.map { Int64($0.rounded()) },
                        unifiedMemory: true
                    )
                )
            }
            profile.gpus = cards
            return Preset(name: e.name, description: e.description, profile: profile)
        }
    }

    public func preset(named name: String) -> Preset? { presets.first { $0.name == name.lowercased() } }
}

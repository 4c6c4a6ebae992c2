/// Quick what-if edits of a machine, as `--gpu NAME` (repeatable), `--ram SIZE`, `--cpu-cores N`
/// and `--bandwidth RATE` give them: applied on top of the machine asked about (this one, a
/// preset, a profile file or a replay).
public struct MachineEdits: Sendable, Equatable, CustomStringConvertible {
    /// GPUs to add, by a name `config/gpus.toml` knows.
    public var gpus: [String] = []
    public var ramBytes: Int64?
    public var cpuCores: Int?
    /// The memory's theoretical peak, bytes per second: it replaces any measurement, so CPU
    /// speeds run at the peak's sustained share as for a machine canrun has not measured.
    public var bandwidthBytesPerS: Int64?

    public init(gpus: [String] = [], ramBytes: Int64? = nil, cpuCores: Int? = nil, bandwidthBytesPerS: Int64? = nil) {
        self.gpus = gpus
        self.ramBytes = ramBytes
        self.cpuCores = cpuCores
        self.bandwidthBytesPerS = bandwidthBytesPerS
    }

    public var isEmpty: Bool { gpus.isEmpty && ramBytes == nil && cpuCores == nil && bandwidthBytesPerS == nil }

    /// What the edits say, for the line that names the machine: `+ GeForce RTX 4090, RAM 64.0 GiB`.
    public var description: String {
        var parts = gpus.map { "+ " + TerminalText.sanitised($0) }
        if let ramBytes { parts.append("RAM \(ProfileText.bytes(ramBytes))") }
        if let cpuCores { parts.append("\(cpuCores) cores") }
        if let bandwidthBytesPerS { parts.append("memory peak \(ProfileText.rate(bandwidthBytesPerS))") }
        return parts.joined(separator: ", ")
    }

    /// `64GiB`, `64G`, `64 GB`, `512MiB`, `1.5T`; a bare number is GiB. Binary units either way,
    /// as memory is sold. Nil when not a positive size.
    public static func size(_ text: String) -> Int64? {
        let (number, unit) = split(text)
        guard let number, number > 0 else { return nil }
        let shift: Double
        switch unit {
        case "", "g", "gb", "gib": shift = 30
        case "m", "mb", "mib": shift = 20
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        let bytes = number * pow2(shift)
        return bytes < 9e18 ? Int64(bytes) : nil
    }

    /// `96`, `96GB/s`, `1.2TB/s`, `800 GB/s`; a bare number is GB/s (decimal, as bandwidth is
    /// quoted). Nil when not a positive rate.
    public static func rate(_ text: String) -> Int64? {
        var (number, unit) = split(text)
        if unit.hasSuffix("/s") { unit.removeLast(2) }
        guard let number, number > 0 else { return nil }
        let scale: Double
        switch unit {
        case "", "g", "gb": scale = 1e9
        case "m", "mb": scale = 1e6
        case "t", "tb": scale = 1e12
        default: return nil
        }
        let bytes = number * scale
        return bytes < 9e18 ? Int64(bytes) : nil
    }

    private static func split(_ text: String) -> (Double?, String) {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let digits = t.prefix { $0.isNumber || $0 == "." }
        let unit = t.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        return (Double(digits), unit)
    }

    private static func pow2(_ exponent: Double) -> Double { Double(1 << Int(exponent)) }

    /// `profile` with these edits.
    /// - Throws: `UnknownGPU` for a GPU name the table does not know (its memory is unknown).
    public func applied(to profile: MachineProfile, table: GPUTable) throws(UnknownGPU) -> MachineProfile {
        var out = profile
        for name in gpus {
            guard let entry = table.lookup(productName: name) else { throw UnknownGPU(name: name) }
            out.gpus = (out.gpus ?? []) + [GPUFacts(table: entry)]
        }
        if let ramBytes {
            out.memory.totalBytes = ramBytes
            out.memory.availableBytes = ramBytes
            out.memory.installedBytes = nil
            out.memory.modules = nil
            // NUMA nodes keep their shares of the new total.
            if let nodes = out.numaNodes, !nodes.isEmpty {
                let known = nodes.compactMap(\.memoryBytes).reduce(0, +)
                out.numaNodes = nodes.map { node in
                    var n = node
                    if let own = node.memoryBytes, known > 0 {
                        n.memoryBytes = Int64(Double(ramBytes) * Double(own) / Double(known))
                    } else if nodes.count == 1 {
                        n.memoryBytes = ramBytes
                    }
                    return n
                }
            }
        }
        if let cpuCores {
            var cpu = out.cpu ?? CPUFacts()
            cpu.cores = cpuCores
            cpu.threads = max(cpuCores, cpu.threads ?? cpuCores)
            out.cpu = cpu
        }
        if let bandwidthBytesPerS {
            out.memory.theoreticalBandwidthBytesPerS = bandwidthBytesPerS
            out.bandwidth = nil
        }
        return out
    }
}

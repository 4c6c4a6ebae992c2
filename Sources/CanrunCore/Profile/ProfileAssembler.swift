/// Turns the readings of one machine into its `MachineProfile`: picks the best source for each
/// fact, ties GPUs to driver readings by PCI address, and says in `warnings` what is unknown.
///
/// The profile holds only values within `PhysicalBounds`: the decoders leave out what is beyond
/// (their `problems` become warnings here), the sums are checked, and a last pass
/// (`MachineProfile.bounded()`) makes sure of it for readings built any other way.
public enum ProfileAssembler {
    public static func assemble(_ readings: ProbeReadings, gpuTable: GPUTable) -> MachineProfile {
        var profile = MachineProfile(warnings: readings.warnings)
        profile.warnings += readings.topology?.problems ?? []
        profile.warnings += readings.cpuinfo?.problems ?? []
        profile.warnings += readings.meminfo?.problems ?? []
        profile.warnings += readings.smbios?.problems ?? []
        profile.cpu = cpu(readings, profile: &profile)
        profile.numaNodes = readings.topology.map(\.numaNodes)
        if let gpuNodes = readings.topology?.gpuMemoryNodes, !gpuNodes.isEmpty {
            profile.gpuMemoryNodes = gpuNodes.map {
                NUMANodeFacts(id: $0.osIndex, memoryBytes: $0.bytes, cpus: [], memoryKind: NUMANodeFacts.gpuMemoryKind)
            }
        }
        if readings.isLive, let nodes = profile.numaNodes, nodes.count == 1, let node = nodes.first,
            let total = readings.meminfo?.totalBytes, let local = node.memoryBytes, local < total
        {
            profile.numaNodes?[0].memoryBytes = total
            profile.warnings.append(
                "the kernel reports \(local) bytes on NUMA node \(node.id) while page initialisation runs; the node holds all \(total) bytes of MemTotal"
            )
        }
        if readings.topology != nil { profile.sources["numa_nodes"] = "hwloc" }
        profile.memory = memory(readings, profile: &profile)
        let devices = GPUAssembler(readings: readings, table: gpuTable)
        profile.gpus = devices.gpus()
        profile.otherAccelerators = devices.otherAccelerators()
        if let source = devices.source { profile.sources["gpus"] = source }
        profile.warnings += devices.warnings
        return profile.bounded()
    }

    private static func cpu(_ r: ProbeReadings, profile: inout MachineProfile) -> CPUFacts? {
        let topology = r.topology
        let sockets = r.smbios?.processors.filter(\.populated) ?? []
        var cpu = CPUFacts(
            vendor: r.cpuinfo?.vendor ?? topology?.cpuVendor ?? sockets.first?.manufacturer,
            model: r.cpuinfo?.model ?? topology?.cpuModel ?? sockets.first?.version,
            architecture: r.architecture ?? topology?.architecture,
            packages: topology?.packages ?? (sockets.isEmpty ? nil : sockets.count),
            cores: topology?.cores
                ?? PhysicalBounds.cores.sum(
                    sockets.map(\.coreCount),
                    from: "SMBIOS sockets",
                    problems: &profile.warnings
                ),
            threads: topology?.threads
                ?? PhysicalBounds.threads.sum(
                    sockets.map(\.threadCount),
                    from: "SMBIOS sockets",
                    problems: &profile.warnings
                ),
            caches: topology?.caches ?? [],
            kinds: topology?.kinds ?? []
        )
        if let parts = r.cpuinfo?.armParts, Set(parts.values).count > 1 {
            cpu.kinds = armKinds(parts, implementer: cpu.vendor, hwloc: topology?.kinds ?? [])
        } else if cpu.model == nil, let part = r.cpuinfo?.armParts.values.first {
            // arm64 kernels print no model name: the MIDR part names the core.
            cpu.model = ARMParts.label(part, implementer: cpu.vendor)
        }
        if let mhz = cpu.kinds.compactMap(\.frequencyMaxMhz).max() {
            cpu.frequencyMaxMhz = mhz
            profile.sources["cpu.frequency"] = "hwloc (cpufreq maximum)"
        } else if let mhz = r.cpuinfo?.highestMHz {
            cpu.frequencyMaxMhz = Int(mhz.rounded())
            profile.sources["cpu.frequency"] = "cpuinfo (clock when read)"
        }
        if topology?.packages == nil, !sockets.isEmpty { profile.sources["cpu.counts"] = r.smbios?.source }
        if let flags = r.cpuinfo?.flags {
            let isa = ISAAssessment.assess(flags: flags, support: r.osSupport)
            cpu.isa = isa.usable
            cpu.isaUnusable = isa.unusable
            profile.warnings += isa.notes
            profile.sources["cpu.isa"] = r.osSupport.xcr0 == nil ? "cpuinfo" : "cpuinfo+xgetbv"
        } else if topology != nil || !sockets.isEmpty {
            profile.warnings.append("no /proc/cpuinfo: instruction-set features unknown")
        }
        let empty = CPUFacts()
        return cpu == empty ? nil : cpu
    }

    /// hwloc before 2.10 splits ARM big.LITTLE kinds by capacity and frequency (5 kinds on a GB10
    /// of 10 X925 + 10 A725 cores); the MIDR part of each CPU says what the cores really are.
    private static func armKinds(_ parts: [Int: String], implementer: String?, hwloc: [CPUKindFacts]) -> [CPUKindFacts]
    {
        let groups = Dictionary(grouping: parts.keys) { parts[$0] ?? "" }
        return groups.keys.sorted().map { part in
            let cpus = (groups[part] ?? []).sorted()
            let efficiency = hwloc.filter { !Set($0.cpus).isDisjoint(with: cpus) }.compactMap(\.efficiency).max()
            let mhz = hwloc.filter { !Set($0.cpus).isDisjoint(with: cpus) }.compactMap(\.frequencyMaxMhz).max()
            return CPUKindFacts(
                name: ARMParts.label(part, implementer: implementer),
                cpus: cpus,
                efficiency: efficiency,
                frequencyMaxMhz: mhz
            )
        }
    }

    private static func memory(_ r: ProbeReadings, profile: inout MachineProfile) -> MemoryFacts {
        var memory = MemoryFacts()
        if let meminfo = r.meminfo {
            memory.totalBytes = meminfo.totalBytes
            memory.availableBytes = meminfo.availableBytes
            profile.sources["memory.total"] = "meminfo"
            // POWER9 hosts count NVLink GPU memory onlined as NUMA nodes in MemTotal.
            let gpuNodeBytes =
                PhysicalBounds.memoryBytes.sum(
                    (r.topology?.gpuMemoryNodes ?? []).map(\.bytes),
                    from: "GPU memory NUMA nodes",
                    problems: &profile.warnings
                ) ?? 0
            if gpuNodeBytes > 0, let total = meminfo.totalBytes, total > gpuNodeBytes {
                memory.totalBytes = total - gpuNodeBytes
                memory.availableBytes = meminfo.availableBytes.map { max(0, $0 - gpuNodeBytes) }
                profile.warnings.append(
                    "MemTotal includes \(gpuNodeBytes) bytes of GPU memory onlined as NUMA nodes; reported without it"
                )
            }
        } else {
            profile.warnings.append("no /proc/meminfo: total and available memory unknown")
        }
        guard let smbios = r.smbios else { return memory }
        let analysis = MemoryChannelAnalyzer.analyze(smbios.memoryDevices)
        memory.installedBytes = analysis.installedBytes ?? smbios.mappedMemoryBytes
        if memory.installedBytes != nil {
            profile.sources["memory.installed"] =
                analysis.installedBytes != nil ? smbios.source : "\(smbios.source) mapped ranges (type 19)"
        }
        memory.modules = analysis.modules
        memory.slots = analysis.slots
        memory.channelsPopulated = analysis.channelsPopulated
        memory.channelMapping = analysis.mapping
        memory.theoreticalBandwidthBytesPerS = analysis.theoreticalBandwidthBytesPerS
        memory.sockets = analysis.sockets
        profile.sources["memory.modules"] = smbios.source
        profile.warnings += analysis.notes
        return memory
    }
}

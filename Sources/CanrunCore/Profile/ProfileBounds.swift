/// Every number of a `MachineProfile` against `PhysicalBounds`: the one check a profile passes,
/// whether a user wrote it (`canrun fit --machine FILE.json`: an error) or the probe assembled
/// it from a recording (`ProfileAssembler`: the value becomes unknown, with a warning).
extension MachineProfile {
    /// One number outside its bound, at a JSON path of the profile (`numa_nodes[1].memory_bytes`).
    public struct BoundViolation: Sendable, Equatable, CustomStringConvertible {
        public var path: String
        public var value: String
        public var bound: String

        public var description: String { "\(path) = \(value) is outside the physical bound \(bound)" }
    }

    /// A profile file with numbers no machine has.
    public struct ValidationError: Error, Equatable, CustomStringConvertible {
        public var violations: [BoundViolation]

        public var description: String {
            // One line: terminals and the API's error message show it whole.
            "the machine profile has values no machine has: "
                + violations.map(\.description).joined(separator: "; ")
                + "; fix them, or write null where a value is unknown"
        }
    }

    /// This profile when every number is within `PhysicalBounds`.
    /// - Throws: `ValidationError` naming each number outside, its JSON path and the bound.
    public func validated() throws -> MachineProfile {
        let (_, violations) = Self.boundsCheck(self)
        guard violations.isEmpty else { throw ValidationError(violations: violations) }
        return self
    }

    /// This profile with every number outside `PhysicalBounds` unknown (or, where a value
    /// cannot be unknown, its entry left out), each said in `warnings`.
    public func bounded() -> MachineProfile {
        var (profile, violations) = Self.boundsCheck(self)
        profile.warnings += violations.map { "\($0); treated as unknown" }
        return profile
    }

    private static func boundsCheck(_ original: MachineProfile) -> (MachineProfile, [BoundViolation]) {
        var walk = ProfileBoundsWalk()
        var p = original
        if !(1...currentSchemaVersion).contains(p.schemaVersion) {
            walk.report("schema_version", p.schemaVersion, "1…\(currentSchemaVersion)")
        }
        if var cpu = p.cpu {
            walk.cpu(&cpu)
            p.cpu = cpu
        }
        walk.memory(&p.memory)
        p.numaNodes = walk.nodes(p.numaNodes, at: "numa_nodes", host: true)
        p.gpuMemoryNodes = walk.nodes(p.gpuMemoryNodes, at: "gpu_memory_nodes", host: false)
        if let gpus = p.gpus {
            p.gpus =
                walk.count(gpus.count, PhysicalBounds.maxGPUs, at: "gpus")
                ? gpus.enumerated().map { walk.gpu($1, at: "gpus[\($0)]") } : nil
        }
        p.otherAccelerators =
            walk.count(p.otherAccelerators.count, PhysicalBounds.maxGPUs, at: "other_accelerators")
            ? p.otherAccelerators.enumerated().map { index, accelerator in
                var a = accelerator
                walk.check(&a.memoryBytes, PhysicalBounds.memoryBytes, "other_accelerators[\(index)].memory_bytes")
                return a
            } : []
        if let bandwidth = p.bandwidth, !walk.bandwidth(bandwidth) { p.bandwidth = nil }
        return (p, walk.violations)
    }
}

/// The walk behind `MachineProfile.validated()` and `bounded()`: it collects violations and
/// leaves each offending value unknown in the copy it is given.
private struct ProfileBoundsWalk {
    var violations: [MachineProfile.BoundViolation] = []

    mutating func report(_ path: String, _ value: some Any, _ bound: String) {
        violations.append(.init(path: path, value: "\(value)", bound: bound))
    }

    mutating func check<V>(_ value: inout V?, _ bound: PhysicalBound<V>, _ path: String) {
        guard let v = value, !bound.contains(v) else { return }
        report(path, v, bound.bound)
        value = nil
    }

    /// For values that cannot be unknown: false (and a violation) when outside.
    mutating func holds<V>(_ value: V, _ bound: PhysicalBound<V>, _ path: String) -> Bool {
        if bound.contains(value) { return true }
        report(path, value, bound.bound)
        return false
    }

    mutating func count(_ n: Int, _ limit: Int, at path: String) -> Bool {
        if n <= limit { return true }
        report(path, "\(n) entries", "0…\(limit) entries")
        return false
    }

    /// Logical CPU indexes; out-of-bound ones are left out.
    mutating func cpus(_ cpus: [Int], at path: String) -> [Int] {
        guard count(cpus.count, PhysicalBounds.threads.range.upperBound, at: path) else { return [] }
        return cpus.enumerated().filter { holds($1, PhysicalBounds.cpuIndex, "\(path)[\($0)]") }.map(\.element)
    }

    mutating func cpu(_ cpu: inout CPUFacts) {
        check(&cpu.packages, PhysicalBounds.packages, "cpu.packages")
        check(&cpu.cores, PhysicalBounds.cores, "cpu.cores")
        check(&cpu.threads, PhysicalBounds.threads, "cpu.threads")
        check(&cpu.frequencyMaxMhz, PhysicalBounds.clockMhz, "cpu.frequency_max_mhz")
        let caches = cpu.caches
        cpu.caches = caches.enumerated().filter { index, cache in
            let at = "cpu.caches[\(index)]"
            let checks = [
                holds(cache.level, PhysicalBounds.cacheLevel, at + ".level"),
                holds(cache.sizeBytes, PhysicalBounds.cacheBytes, at + ".size_bytes"),
                holds(cache.count, PhysicalBounds.threads, at + ".count"),
            ]
            return !checks.contains(false)
        }.map(\.element)
        for index in cpu.kinds.indices {
            let at = "cpu.kinds[\(index)]"
            cpu.kinds[index].cpus = cpus(cpu.kinds[index].cpus, at: at + ".cpus")
            check(&cpu.kinds[index].efficiency, PhysicalBounds.cpuKindEfficiency, at + ".efficiency")
            check(&cpu.kinds[index].frequencyMaxMhz, PhysicalBounds.clockMhz, at + ".frequency_max_mhz")
        }
    }

    mutating func memory(_ m: inout MemoryFacts) {
        check(&m.totalBytes, PhysicalBounds.memoryBytes, "memory.total_bytes")
        check(&m.availableBytes, PhysicalBounds.memoryBytes, "memory.available_bytes")
        check(&m.installedBytes, PhysicalBounds.memoryBytes, "memory.installed_bytes")
        check(&m.slots, PhysicalBounds.memorySlots, "memory.slots")
        check(&m.channelsPopulated, PhysicalBounds.memoryChannels, "memory.channels_populated")
        check(&m.theoreticalBandwidthBytesPerS, PhysicalBounds.bytesPerS, "memory.theoretical_bandwidth_bytes_per_s")
        if let modules = m.modules {
            m.modules =
                count(modules.count, PhysicalBounds.memorySlots.range.upperBound, at: "memory.modules")
                ? modules.enumerated().compactMap { module($1, at: "memory.modules[\($0)]") } : nil
        }
        let sockets = m.sockets
        m.sockets =
            count(sockets.count, PhysicalBounds.packages.range.upperBound, at: "memory.sockets")
            ? sockets.enumerated().compactMap { index, socket in
                var s = socket
                let at = "memory.sockets[\(index)]"
                check(
                    &s.theoreticalBandwidthBytesPerS,
                    PhysicalBounds.bytesPerS,
                    at + ".theoretical_bandwidth_bytes_per_s"
                )
                let kept = [
                    holds(s.socket, PhysicalBounds.packageIndex, at + ".socket"),
                    holds(s.channelsPopulated, PhysicalBounds.memoryChannels, at + ".channels_populated"),
                ]
                return kept.contains(false) ? nil : s
            } : []
    }

    private mutating func module(_ module: MemoryModuleFacts, at path: String) -> MemoryModuleFacts? {
        var d = module
        check(&d.speedMts, PhysicalBounds.transferRateMts, path + ".speed_mts")
        check(&d.configuredSpeedMts, PhysicalBounds.transferRateMts, path + ".configured_speed_mts")
        check(&d.dataWidthBits, PhysicalBounds.memoryWidthBits, path + ".data_width_bits")
        check(&d.totalWidthBits, PhysicalBounds.memoryWidthBits, path + ".total_width_bits")
        check(&d.rank, PhysicalBounds.memoryRank, path + ".rank")
        return holds(d.sizeBytes, PhysicalBounds.moduleBytes, path + ".size_bytes") ? d : nil
    }

    /// Host nodes (`numa_nodes`) must not be GPU memory; GPU memory nodes must be.
    mutating func nodes(_ nodes: [NUMANodeFacts]?, at path: String, host: Bool) -> [NUMANodeFacts]? {
        guard let nodes else { return nil }
        guard count(nodes.count, PhysicalBounds.maxNUMANodes, at: path) else { return nil }
        return nodes.enumerated().compactMap { index, node in
            var n = node
            let at = "\(path)[\(index)]"
            if host == (n.memoryKind == NUMANodeFacts.gpuMemoryKind) {
                report(
                    at + ".memory_kind",
                    n.memoryKind ?? "null",
                    host
                        ? "host memory kinds (GPU memory belongs in gpu_memory_nodes)"
                        : "\"\(NUMANodeFacts.gpuMemoryKind)\""
                )
                return nil
            }
            check(&n.memoryBytes, PhysicalBounds.memoryBytes, at + ".memory_bytes")
            check(&n.memorySideCacheBytes, PhysicalBounds.memoryBytes, at + ".memory_side_cache_bytes")
            check(&n.package, PhysicalBounds.packageIndex, at + ".package")
            n.cpus = cpus(n.cpus, at: at + ".cpus")
            if let distances = n.distances {
                let inside =
                    count(distances.count, PhysicalBounds.maxNUMANodes, at: at + ".distances")
                    && distances.enumerated().allSatisfy {
                        holds($1, PhysicalBounds.numaDistance, at + ".distances[\($0)]")
                    }
                if !inside { n.distances = nil }
            }
            return holds(n.id, PhysicalBounds.numaNodeIndex, at + ".id") ? n : nil
        }
    }

    mutating func gpu(_ gpu: GPUFacts, at path: String) -> GPUFacts {
        var g = gpu
        check(&g.memoryBytes, PhysicalBounds.memoryBytes, path + ".memory_bytes")
        check(&g.memoryFreeBytes, PhysicalBounds.memoryBytes, path + ".memory_free_bytes")
        check(&g.gttBytes, PhysicalBounds.memoryBytes, path + ".gtt_bytes")
        check(&g.bandwidthBytesPerS, PhysicalBounds.bytesPerS, path + ".bandwidth_bytes_per_s")
        check(&g.fp16FlopsPerS, PhysicalBounds.flopsPerS, path + ".fp16_flops_per_s")
        check(&g.busWidthBits, PhysicalBounds.busWidthBits, path + ".bus_width_bits")
        if var peaks = g.peaks {
            let rate = PhysicalBounds.peakRate
            check(&peaks.fp16Acc16FlopsPerS, rate, path + ".peaks.fp16_acc16_flops_per_s")
            check(&peaks.fp16Acc32FlopsPerS, rate, path + ".peaks.fp16_acc32_flops_per_s")
            check(&peaks.int8OpsPerS, rate, path + ".peaks.int8_ops_per_s")
            check(&peaks.fp32FlopsPerS, rate, path + ".peaks.fp32_flops_per_s")
            check(&peaks.boardPowerW, PhysicalBounds.boardPowerW, path + ".peaks.board_power_w")
            g.peaks = peaks.nonEmpty
        }
        check(&g.numaNode, PhysicalBounds.numaNodeIndex, path + ".numa_node")
        if var link = g.pcieLink {
            check(&link.generation, PhysicalBounds.pcieGeneration, path + ".pcie_link.generation")
            check(&link.width, PhysicalBounds.pcieLanes, path + ".pcie_link.width")
            g.pcieLink = holds(link.bytesPerS, PhysicalBounds.bytesPerS, path + ".pcie_link.bytes_per_s") ? link : nil
        }
        return g
    }

    /// False when the report has a value outside its bound: a measurement is taken whole or
    /// not at all.
    mutating func bandwidth(_ b: BandwidthReport) -> Bool {
        let rate = PhysicalBounds.measuredBytesPerS
        var inside = [
            holds(b.threads, PhysicalBounds.threads, "bandwidth.threads"),
            holds(b.bufferBytes, PhysicalBounds.memoryBytes, "bandwidth.buffer_bytes"),
            holds(b.durationS, PhysicalBounds.durationS, "bandwidth.duration_s"),
            holds(b.total.readBytesPerS, rate, "bandwidth.total.read_bytes_per_s"),
            holds(b.total.copyBytesPerS, rate, "bandwidth.total.copy_bytes_per_s"),
            holds(b.total.triadBytesPerS, rate, "bandwidth.total.triad_bytes_per_s"),
            count(b.nodes.count, PhysicalBounds.maxNUMANodes, at: "bandwidth.nodes"),
        ]
        if inside.allSatisfy({ $0 }) {
            for (index, node) in b.nodes.enumerated() {
                let at = "bandwidth.nodes[\(index)]"
                inside += [
                    holds(node.node, PhysicalBounds.numaNodeIndex, at + ".node"),
                    holds(node.readBytesPerS, rate, at + ".read_bytes_per_s"),
                    holds(node.copyBytesPerS, rate, at + ".copy_bytes_per_s"),
                    holds(node.triadBytesPerS, rate, at + ".triad_bytes_per_s"),
                ]
            }
        }
        for (i, row) in (b.crossNode ?? []).enumerated() where inside.allSatisfy({ $0 }) {
            inside.append(count(row.count, PhysicalBounds.maxNUMANodes, at: "bandwidth.cross_node[\(i)]"))
            for (j, value) in row.enumerated() where inside.allSatisfy({ $0 }) {
                inside.append(holds(value, rate, "bandwidth.cross_node[\(i)][\(j)]"))
            }
        }
        if let peak = b.theoreticalPeakBytesPerS {
            inside.append(holds(peak, PhysicalBounds.bytesPerS, "bandwidth.theoretical_peak_bytes_per_s"))
        }
        if let fraction = b.fractionOfPeak {
            inside.append(holds(fraction, PhysicalBounds.fractionOfPeak, "bandwidth.fraction_of_peak"))
        }
        return inside.allSatisfy { $0 }
    }
}

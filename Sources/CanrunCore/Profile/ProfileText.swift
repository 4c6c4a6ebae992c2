import Foundation

/// The human summary of a profile that `canrun probe` prints.
public enum ProfileText {
    /// Text from the hardware and from files (names, models, warnings naming paths) passes
    /// `TerminalText` on its way to the terminal.
    public static func render(_ p: MachineProfile) -> String {
        var lines: [String] = []
        let safe = { (text: String) in TerminalText.sanitised(text) }
        func row(_ label: String, _ text: String) {
            lines.append(label.padding(toLength: 10, withPad: " ", startingAt: 0) + text)
        }
        if let cpu = p.cpu {
            let counts = [
                cpu.packages.map { "\($0) package\($0 == 1 ? "" : "s")" }, cpu.cores.map { "\($0) cores" },
                cpu.threads.map { "\($0) threads" },
            ].compactMap { $0 }.joined(separator: ", ")
            row(
                "CPU",
                [
                    safe(cpu.model ?? cpu.vendor ?? "unknown model"), cpu.architecture.map { "(\(safe($0)))" },
                    counts.isEmpty ? nil : "— \(counts)",
                ]
                .compactMap { $0 }.joined(separator: " ")
            )
            if !cpu.isa.isEmpty { row("", "ISA " + cpu.isa.joined(separator: " ")) }
            if !cpu.isaUnusable.isEmpty { row("", "not usable here: " + cpu.isaUnusable.joined(separator: " ")) }
            if !cpu.caches.isEmpty {
                row(
                    "",
                    "caches "
                        + cpu.caches.map {
                            "L\($0.level)\($0.kind == "instruction" ? "i" : $0.kind == "data" ? "d" : "") \(bytes($0.sizeBytes)) ×\($0.count)"
                        }.joined(separator: ", ")
                )
            }
            for kind in cpu.kinds { row("", "core kind \(safe(kind.name)): cpus \(ranges(kind.cpus))") }
        } else {
            row("CPU", "unknown")
        }
        let m = p.memory
        row(
            "Memory",
            [
                m.totalBytes.map { "\(bytes($0)) total" } ?? "total unknown",
                m.availableBytes.map { "\(bytes($0)) available" },
                m.installedBytes.map { "\(bytes($0)) installed" },
            ]
            .compactMap { $0 }.joined(separator: ", ")
        )
        if let modules = m.modules {
            if modules.isEmpty {
                row("", "no populated memory modules listed by SMBIOS")
            } else {
                let groups = Dictionary(grouping: modules) {
                    "\(bytes($0.sizeBytes)) \(safe($0.type ?? "memory"))-\(($0.configuredSpeedMts ?? $0.speedMts).map(String.init) ?? "?")"
                }
                let described = groups.keys.sorted().map { "\(groups[$0]!.count) × \($0)" }.joined(separator: ", ")
                row("", described + (m.slots.map { " (\(modules.count) of \($0) slots)" } ?? ""))
                var channel =
                    m.channelsPopulated.map {
                        "\($0) channel\($0 == 1 ? "" : "s") populated (\(m.channelMapping?.rawValue ?? "unknown"))"
                    } ?? "channels unknown"
                if let peak = m.theoreticalBandwidthBytesPerS { channel += ", theoretical peak \(rate(peak))" }
                row("", channel)
            }
        } else {
            row("", "modules unknown")
        }
        if let nodes = p.numaNodes {
            row("NUMA", "\(nodes.count) node\(nodes.count == 1 ? "" : "s")")
            for node in nodes {
                let memory = node.memoryBytes.map(bytes) ?? "memory unknown"
                let kind = node.memoryKind.map { " \(safe($0))" } ?? ""
                let cpus = node.cpus.isEmpty ? "no cpus" : "cpus \(ranges(node.cpus))"
                row("", "node \(node.id):\(kind) \(memory), \(cpus)")
            }
        }
        for node in p.gpuMemoryNodes ?? [] {
            row("", "node \(node.id): GPU memory \(node.memoryBytes.map(bytes) ?? "unknown"), not host RAM")
        }
        if let gpus = p.gpus {
            if gpus.isEmpty { row("GPUs", "none") }
            for (index, gpu) in gpus.enumerated() {
                let name = gpu.name ?? "unknown model"
                let vendor = gpu.vendor.flatMap { name.hasPrefix($0) ? nil : $0 }
                var text = [gpu.pciAddress, vendor, name].compactMap { $0 }.map(safe).joined(separator: " ")
                if gpu.unifiedMemory {
                    text += ", shares system memory"
                } else if let memory = gpu.memoryBytes {
                    text += ", \(bytes(memory)) (\(gpu.memorySource ?? "?"))"
                }
                if let bw = gpu.bandwidthBytesPerS { text += ", \(rate(bw)) (\(gpu.bandwidthSource ?? "?"))" }
                if let link = gpu.pcieLink { text += ", \(link.label) (\(link.source))" }
                if let node = gpu.numaNode { text += ", NUMA \(node)" }
                row(index == 0 ? "GPUs" : "", text)
            }
        } else {
            row("GPUs", "unknown")
        }
        for accelerator in p.otherAccelerators {
            row(
                "Other",
                "\(safe(accelerator.pciAddress ?? "")) \(safe(accelerator.vendorId)):\(safe(accelerator.deviceId)) \(safe(accelerator.name ?? "accelerator")) (not usable by LLM runtimes)"
            )
        }
        if let bandwidth = p.bandwidth {
            row(
                "Bandwidth",
                "read \(rate(bandwidth.total.readBytesPerS)), copy \(rate(bandwidth.total.copyBytesPerS)), triad \(rate(bandwidth.total.triadBytesPerS)) (measured \(bandwidth.threads) threads; canrun bench)"
            )
        } else {
            row("Bandwidth", "not measured yet: run canrun bench")
        }
        for (index, warning) in p.warnings.enumerated() {
            row(index == 0 ? "Warnings" : "", "- " + TerminalText.sanitised(warning, limit: 2048))
        }
        return lines.joined(separator: "\n")
    }

    /// One line naming a machine as an answer is about it: its CPU cores and vector units, RAM,
    /// GPUs, and the memory read rate the speeds rest on with where it comes from (and whether
    /// it has been steady, `BandwidthReport.unsteadyNote`) —
    /// `2 cores (avx512f, avx512_vnni), 23.5 GiB RAM, no GPU, read 32.8 GB/s measured`.
    public static func oneLine(_ p: MachineProfile) -> String {
        var parts: [String] = []
        if let cpu = p.cpu {
            let vector = cpu.isa.filter {
                ["avx2", "avx512f", "avx512_vnni", "amx_int8", "asimd", "sve", "sve2"].contains($0)
            }
            parts.append(
                (cpu.cores.map { "\($0) cores" } ?? "cores unknown")
                    + (vector.isEmpty ? "" : " (\(vector.joined(separator: ", ")))")
            )
        }
        parts.append(p.memory.totalBytes.map { "\(bytes($0)) RAM" } ?? "RAM unknown")
        let gpus = (p.gpus ?? []).map { gpu in
            TerminalText.sanitised(gpu.name ?? "a GPU") + (gpu.memoryBytes.map { " \(bytes($0))" } ?? "")
        }
        parts.append(gpus.isEmpty ? "no GPU" : gpus.joined(separator: ", "))
        if let bandwidth = p.bandwidth, bandwidth.total.readBytesPerS > 0 {
            let caveat =
                bandwidth.provisional == true
                ? " (provisional: measured while other programs were busy; canrun bench measures again)"
                : bandwidth.unsteadyNote == nil ? "" : " (unsteady across measurements: speeds move with it)"
            parts.append("read \(rate(bandwidth.total.readBytesPerS)) measured\(caveat)")
        } else if let peak = p.memory.theoreticalBandwidthBytesPerS {
            parts.append("memory peak \(rate(peak)) (not measured)")
        } else {
            parts.append("memory bandwidth unknown")
        }
        return parts.joined(separator: ", ")
    }

    /// Binary units, as memory is sold: `23.5 GiB`.
    public static func bytes(_ value: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(value)
        var unit = 0
        while v >= 1024, unit < units.count - 1 {
            v /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : "\(decimal(v, places: 1)) \(units[unit])"
    }

    /// Decimal units, as bandwidth is quoted: `96.0 GB/s`.
    public static func rate(_ bytesPerSecond: Int64) -> String {
        let gb = Double(bytesPerSecond) / 1e9
        return gb >= 1000 ? "\(decimal(gb / 1000, places: 1)) TB/s" : "\(decimal(gb, places: 1)) GB/s"
    }

    /// `x` with `places` decimals (0...4), rounded half away from zero, without `String(format:)`
    /// (Foundation's formatter costs microseconds, and fit reports are built by the thousand).
    public static func decimal(_ x: Double, places: Int) -> String {
        guard x.isFinite else { return "\(x)" }
        let places = max(0, min(4, places))
        var scale: Int64 = 1
        for _ in 0..<places { scale *= 10 }
        let scaled = Int64((abs(x) * Double(scale)).rounded())
        let sign = x < 0 && scaled != 0 ? "-" : ""
        guard places > 0 else { return sign + String(scaled) }
        let fraction = String(scaled % scale)
        return sign + String(scaled / scale) + "." + String(repeating: "0", count: places - fraction.count) + fraction
    }

    /// `[0,1,2,5,7,8]` → `0-2,5,7-8`.
    public static func ranges(_ values: [Int]) -> String {
        var parts: [String] = []
        var start: Int?
        var previous: Int?
        for value in values.sorted() {
            if let p = previous, value == p + 1 {
                previous = value
                continue
            }
            if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)-\(p)") }
            start = value
            previous = value
        }
        if let s = start, let p = previous { parts.append(s == p ? "\(s)" : "\(s)-\(p)") }
        return parts.joined(separator: ",")
    }
}

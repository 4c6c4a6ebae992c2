/// Reads `/proc/cpuinfo`: the identity of the first processor and the feature flags every
/// processor shares.
public enum CPUInfoParser {
    public struct CPUInfo: Sendable, Equatable {
        public var vendor: String?
        public var model: String?
        /// Lowercase flags (`flags` on x86, `Features` on ARM) present on every processor.
        public var flags: Set<String>
        /// ARM `CPU part` (MIDR bits 15:4, hex as printed) by logical CPU number.
        public var armParts: [Int: String]
        /// The highest `cpu MHz` any processor shows (x86): the clock at the moment of reading, or
        /// in a VM the host's nominal clock. A floor for the maximum, not the maximum.
        public var highestMHz: Double?
        /// Values no machine has (`PhysicalBounds`: a processor number of Int64.max, a clock of
        /// 1e300 MHz), in words; each was ignored.
        public var problems: [String] = []
    }

    public static func parse(_ text: String) -> CPUInfo {
        var vendor: String?
        var model: String?
        var implementer: String?
        var common: Set<String>?
        var parts: [Int: String] = [:]
        // -1 before the first `processor` line (its part counts as CPU 0's, as the kernel lists
        // CPU 0 first); nil after a number outside the bound, whose part is ignored.
        var processor: Int? = -1
        var highestMHz: Double?
        var problems: [String] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "vendor_id": vendor = vendor ?? value
            case "model name", "Model name": model = model ?? value
            case "CPU implementer": implementer = implementer ?? value
            case "processor":
                // A processor number outside the bound is said once per line and its part ignored.
                let next = Int(value) ?? processor.map { min($0, PhysicalBounds.cpuIndex.range.upperBound) + 1 }
                processor = PhysicalBounds.cpuIndex.admit(next, from: "cpuinfo processor", problems: &problems)
            case "CPU part": if let processor { parts[max(processor, 0)] = value }
            case "cpu MHz":
                // 0 is how some kernels say "not known"; anything else must be a clock.
                guard let reading = Double(value), reading != 0 else { break }
                let mhz = PhysicalBounds.clockMhzReading.admit(reading, from: "cpuinfo cpu MHz", problems: &problems)
                if let mhz { highestMHz = max(highestMHz ?? 0, mhz) }
            case "Hardware", "Model": if model == nil, !value.isEmpty { model = value }
            case "flags", "Features":
                let flags = Set(value.split(separator: " ").map { $0.lowercased() })
                common = common.map { $0.intersection(flags) } ?? flags
            default: break
            }
        }
        if vendor == nil, let implementer { vendor = ARMImplementers.name(implementer) }
        return CPUInfo(
            vendor: vendor,
            model: model,
            flags: common ?? [],
            armParts: parts,
            highestMHz: highestMHz,
            problems: problems
        )
    }
}

/// ARM `CPU implementer` codes (MIDR bits 31:24), from the Linux kernel's `cputype.h`.
enum ARMImplementers {
    static func name(_ code: String) -> String {
        switch code.lowercased() {
        case "0x41": "ARM"
        case "0x42": "Broadcom"
        case "0x43": "Cavium"
        case "0x46": "Fujitsu"
        case "0x48": "HiSilicon"
        case "0x4e": "NVIDIA"
        case "0x50": "APM"
        case "0x51": "Qualcomm"
        case "0x61": "Apple"
        case "0x6d": "Microsoft"
        case "0xc0": "Ampere"
        default: "ARM implementer \(code)"
        }
    }
}

/// ARM `CPU part` codes (MIDR bits 15:4) of the cores in today's inference machines, from the
/// Linux kernel's `arch/arm64/include/asm/cputype.h`.
public enum ARMParts {
    /// How canrun names a core of MIDR `part` from `implementer` (the `CPU implementer`'s name,
    /// `ARMImplementers`): `Neoverse V2 (0xd4f)` for Arm's own cores, whose numbering the table
    /// holds; `HiSilicon part 0xd01` for another implementer's, whose numbers mean other cores.
    public static func label(_ part: String, implementer: String?) -> String {
        let arm = implementer == nil || implementer == "ARM" ? name(part) : nil
        return arm.map { "\($0) (\(part))" } ?? "\(implementer ?? "ARM") part \(part)"
    }

    public static func name(_ part: String) -> String? {
        switch part.lowercased() {
        case "0xd05": "Cortex-A55"
        case "0xd0b": "Cortex-A76"
        case "0xd0c": "Neoverse N1"
        case "0xd40": "Neoverse V1"
        case "0xd41": "Cortex-A78"
        case "0xd44": "Cortex-X1"
        case "0xd46": "Cortex-A510"
        case "0xd47": "Cortex-A710"
        case "0xd48": "Cortex-X2"
        case "0xd49": "Neoverse N2"
        case "0xd4d": "Cortex-A715"
        case "0xd4e": "Cortex-X3"
        case "0xd4f": "Neoverse V2"
        case "0xd80": "Cortex-A520"
        case "0xd81": "Cortex-A720"
        case "0xd82": "Cortex-X4"
        case "0xd84": "Neoverse V3"
        case "0xd85": "Cortex-X925"
        case "0xd87": "Cortex-A725"
        case "0xd8e": "Neoverse N3"
        default: nil
        }
    }
}

/// Reads `/proc/cpuinfo`: the identity of the first processor and the feature flags every
/// processor shares.
public enum CPUInfoParser {
    public struct CPUInfo: Sendable, Equatable {
        public var vendor: String?
        public var model: String?
        /// Lowercase flags (`flags` on x86, `Features` on ARM) present on every processor.
        public var flags: Set<String>
        /// ARM `CPU implementer` → `CPU part` pairs in processor order (hex strings as printed).
        public var armParts: [String]
    }

    public static func parse(_ text: String) -> CPUInfo {
        var vendor: String?
        var model: String?
        var implementer: String?
        var common: Set<String>?
        var parts: [String] = []
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "vendor_id": vendor = vendor ?? value
            case "model name", "Model name": model = model ?? value
            case "CPU implementer": implementer = implementer ?? value
            case "CPU part": parts.append(value)
            case "Hardware", "Model": if model == nil, !value.isEmpty { model = value }
            case "flags", "Features":
                let flags = Set(value.split(separator: " ").map { $0.lowercased() })
                common = common.map { $0.intersection(flags) } ?? flags
            default: break
            }
        }
        if vendor == nil, let implementer { vendor = ARMImplementers.name(implementer) }
        return CPUInfo(vendor: vendor, model: model, flags: common ?? [], armParts: parts)
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

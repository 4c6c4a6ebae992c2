import Foundation

/// Identifies the hardware a bandwidth measurement belongs to: CPU model, cores, memory size
/// (to the GiB, since MemTotal moves by a few MiB between kernels), DIMMs, NUMA layout. A cached
/// measurement is reused only while the fingerprint matches.
public enum HardwareFingerprint {
    public static func of(_ profile: MachineProfile) -> String {
        var parts: [String] = []
        parts.append(
            "cpu=\(profile.cpu?.model ?? "?")/\(profile.cpu?.packages ?? 0)/\(profile.cpu?.cores ?? 0)/\(profile.cpu?.threads ?? 0)"
        )
        parts.append("mem=\((profile.memory.totalBytes ?? 0) >> 30)GiB")
        let modules = (profile.memory.modules ?? []).map {
            "\($0.locator ?? "?"):\($0.sizeBytes):\($0.type ?? "?"):\($0.configuredSpeedMts ?? 0)"
        }
        parts.append("dimms=\(modules.joined(separator: ","))")
        let nodes = (profile.numaNodes ?? []).map {
            "\($0.id):\(ProfileText.ranges($0.cpus)):\(($0.memoryBytes ?? 0) >> 30)"
        }
        parts.append("numa=\(nodes.joined(separator: ";"))")
        return fnv1a(parts.joined(separator: "|"))
    }

    /// 64-bit FNV-1a, hex: stable across runs and platforms, unlike `Hasher`.
    static func fnv1a(_ text: String) -> String { fnv1a(text.utf8) }

    /// 64-bit FNV-1a of `bytes`, 16 hex digits.
    static func fnv1a(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

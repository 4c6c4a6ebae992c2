import Foundation

/// The labels canrund gives a Kubernetes node through Node Feature Discovery's local source: a
/// feature file (`features.d/canrun`) of `name=value` lines, which NFD publishes as
/// `feature.node.kubernetes.io/NAME=VALUE` node labels for a scheduler to select on.
///
/// - `canrun-memory-read-gbps`: the measured read bandwidth, whole GB/s (an integer, so
///   `nodeAffinity`'s `Gt`/`Lt` compare it), and `canrun-memory-bandwidth-class` its class
///   (`under-25GBps` … `800GBps-plus`); neither before a measurement;
/// - `canrun-gpu-count`, `canrun-gpu-memory-gib` (the largest GPU's memory, whole GiB) and
///   `canrun-gpu-model` (the first GPU's name), where there are GPUs;
/// - per configured model (canrun.toml's `[metrics] models`): `canrun-fits.MODEL` (`true` or
///   `false`) and, where the speed is known, `canrun-decode-tps.MODEL`, a bucket (`under-3`,
///   `3-10`, `10-30`, `30-100`, `100-plus`: the verdicts' thresholds and decades above).
///
/// Names and values follow Kubernetes' label syntax: at most 63 characters of letters, digits,
/// `-`, `_` and `.`, beginning and ending with a letter or digit. A model entry's other
/// characters (`@`, `:`, `/`) become `.`, and a name longer than 63 characters keeps its first
/// 54 and a hash of the whole, so two long names never collide.
public enum NodeFeatureLabels {
    /// The labels of `machine` and the configured models' fits (entry as configured, its
    /// report; nil: canrun cannot answer it, no labels), in a fixed order.
    public static func labels(
        machine: MachineProfile,
        fits: [(entry: String, report: FitReport?)]
    ) -> [(
        name: String, value: String
    )] {
        var out: [(String, String)] = []
        if let read = machine.bandwidth?.total.readBytesPerS, read > 0 {
            let gbps = Double(read) / 1e9
            out.append(("canrun-memory-read-gbps", String(Int(gbps.rounded(.down)))))
            out.append(("canrun-memory-bandwidth-class", bandwidthClass(gbps)))
        }
        let gpus = machine.gpus ?? []
        if !gpus.isEmpty {
            out.append(("canrun-gpu-count", String(gpus.count)))
            if let largest = gpus.compactMap(\.memoryBytes).max() {
                out.append(("canrun-gpu-memory-gib", String(largest >> 30)))
            }
            if let name = gpus.first?.name, let value = labelText(name) {
                out.append(("canrun-gpu-model", value))
            }
        }
        for (entry, report) in fits {
            guard let report, let model = labelText(entry) else { continue }
            out.append((name("canrun-fits." + model), report.fits ? "true" : "false"))
            if report.fits, let tps = report.decodeTokensPerS {
                out.append((name("canrun-decode-tps." + model), speedBucket(tps)))
            }
        }
        return out
    }

    /// The feature file: a comment line saying where it comes from, then `name=value` lines.
    public static func file(_ labels: [(name: String, value: String)]) -> String {
        (["# written by canrund (canrun.toml [kubernetes] nfd_feature_file); do not edit"]
            + labels.map { "\($0.name)=\($0.value)" }).joined(separator: "\n") + "\n"
    }

    static func bandwidthClass(_ gbps: Double) -> String {
        switch gbps {
        case ..<25: "under-25GBps"
        case ..<50: "25-50GBps"
        case ..<100: "50-100GBps"
        case ..<200: "100-200GBps"
        case ..<400: "200-400GBps"
        case ..<800: "400-800GBps"
        default: "800GBps-plus"
        }
    }

    static func speedBucket(_ tps: Double) -> String {
        switch tps {
        case ..<3: "under-3"
        case ..<10: "3-10"
        case ..<30: "10-30"
        case ..<100: "30-100"
        default: "100-plus"
        }
    }

    /// `text` in label characters: runs of anything else become one `.`, and the ends are
    /// trimmed to a letter or digit; nil when nothing is left. At most 63 characters.
    static func labelText(_ text: String) -> String? {
        var out = ""
        for c in text.unicodeScalars {
            if isLabelScalar(c) {
                out.unicodeScalars.append(c)
            } else if c == " " {
                out += "-"
            } else if !out.hasSuffix(".") {
                out += "."
            }
        }
        let trimmed = out.trimmingCharacters(in: CharacterSet.alphanumerics.inverted)
        guard !trimmed.isEmpty else { return nil }
        return trimmed.count <= 63 ? trimmed : name(trimmed)
    }

    /// `candidate` if it is at most 63 characters, else its first 54, `-`, and 8 hex digits of
    /// its hash.
    static func name(_ candidate: String) -> String {
        guard candidate.count > 63 else { return candidate }
        let hash = HardwareFingerprint.fnv1a(candidate).prefix(8)
        let head = String(candidate.prefix(54)).trimmingCharacters(in: CharacterSet.alphanumerics.inverted)
        return head + "-" + hash
    }

    /// Whether `text` is a valid label name (without prefix) or non-empty value: 1 to 63
    /// characters of letters, digits, `-`, `_`, `.`, beginning and ending alphanumeric.
    public static func isValid(_ text: String) -> Bool {
        guard (1...63).contains(text.count), let first = text.unicodeScalars.first, let last = text.unicodeScalars.last
        else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last) && text.unicodeScalars.allSatisfy(isLabelScalar)
    }

    /// An ASCII letter or digit.
    static func isAlphanumeric(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c))
    }

    /// A character a label name or value may hold.
    static func isLabelScalar(_ c: Unicode.Scalar) -> Bool {
        isAlphanumeric(c) || c == "-" || c == "_" || c == "."
    }
}

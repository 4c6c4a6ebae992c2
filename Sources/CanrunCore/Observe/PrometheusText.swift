import Foundation

/// Prometheus's text exposition format (0.0.4), read: what llama-server's and vLLM's `/metrics`
/// answer. Only samples are kept (`# HELP`/`# TYPE` lines and timestamps are not needed);
/// malformed lines are skipped, so one odd line of a newer server loses one sample, not the rest.
public enum PrometheusText {
    /// One sample: `name{label="value",…} 1.5`.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double

        public init(name: String, labels: [String: String] = [:], value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }

    /// At most this many samples are read (a vLLM with many models and histogram buckets
    /// exposes a few thousand).
    public static let maxSamples = 100_000

    /// The samples of `text`, in order.
    public static func samples(_ text: String) -> [Sample] {
        var out: [Sample] = []
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard out.count < maxSamples else { break }
            if let sample = sample(Substring(line)) { out.append(sample) }
        }
        return out
    }

    /// The sum of `name`'s samples whose labels include `matching`; nil when there is none.
    public static func sum(_ samples: [Sample], _ name: String, matching: [String: String] = [:]) -> Double? {
        let values = samples.filter { s in
            s.name == name && matching.allSatisfy { s.labels[$0.key] == $0.value }
        }.map(\.value)
        return values.isEmpty ? nil : values.reduce(0, +)
    }

    static func sample(_ line: Substring) -> Sample? {
        let text = line.drop { $0 == " " || $0 == "\t" }
        guard let nameEnd = text.firstIndex(where: { $0 == "{" || $0 == " " || $0 == "\t" }) else { return nil }
        let name = String(text[..<nameEnd])
        guard !name.isEmpty, name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_:".contains($0)) })
        else { return nil }
        var rest = text[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            guard let (parsed, after) = self.labels(rest.dropFirst()) else { return nil }
            labels = parsed
            rest = after
        }
        let fields = rest.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard let first = fields.first, let value = number(first) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// `a="x",b="y\"z"}` → the labels and what follows the `}`; nil when malformed.
    static func labels(_ text: Substring) -> ([String: String], Substring)? {
        var labels: [String: String] = [:]
        var rest = text
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            if rest.first == "}" { return (labels, rest.dropFirst()) }
            guard let equals = rest.firstIndex(of: "=") else { return nil }
            let key = rest[..<equals].trimmingCharacters(in: .whitespaces)
            rest = rest[rest.index(after: equals)...]
            guard rest.first == "\"" else { return nil }
            rest = rest.dropFirst()
            var value = ""
            var escaped = false
            var closed = false
            while let c = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    closed = true
                    break
                } else {
                    value.append(c)
                }
            }
            guard closed, !key.isEmpty, labels.count < 64 else { return nil }
            labels[key] = value
        }
    }

    /// A sample value: a decimal, `+Inf`, `-Inf` or `NaN` (the last three are not kept: no rate
    /// can be made of them).
    static func number(_ text: Substring) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }
}

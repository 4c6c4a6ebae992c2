/// Reads `/proc/meminfo` (or a node's `meminfo`, whose lines start `Node 0 `).
public enum MeminfoParser {
    /// Total and available memory, bytes; `nil` fields when the lines are missing.
    public struct Meminfo: Sendable, Equatable {
        public var totalBytes: Int64?
        public var availableBytes: Int64?
    }

    /// Values are printed in `kB`, which the kernel means as KiB.
    public static func parse(_ text: String) -> Meminfo {
        var values: [String: Int64] = [:]
        for line in text.split(separator: "\n") {
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "Node", fields.count > 2 { fields.removeFirst(2) }
            guard fields.count >= 2, fields[0].hasSuffix(":"), let value = Int64(fields[1]) else { continue }
            let unit: Int64 = fields.count >= 3 && fields[2] == "kB" ? 1024 : 1
            values[String(fields[0].dropLast())] = value * unit
        }
        return Meminfo(totalBytes: values["MemTotal"], availableBytes: values["MemAvailable"] ?? values["MemFree"])
    }
}

/// Reads `/proc/meminfo` (or a node's `meminfo`, whose lines start `Node 0 `).
public enum MeminfoParser {
    /// Total and available memory, bytes; `nil` fields when the lines are missing or give a
    /// size no machine has (`PhysicalBounds.memoryBytes`), which `problems` then says.
    public struct Meminfo: Sendable, Equatable {
        public var totalBytes: Int64?
        public var availableBytes: Int64?
        public var problems: [String] = []
    }

    /// Values are printed in `kB`, which the kernel means as KiB.
    public static func parse(_ text: String) -> Meminfo {
        var values: [String: Int64] = [:]
        var problems: [String] = []
        for line in text.split(separator: "\n") {
            var fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.first == "Node", fields.count > 2 { fields.removeFirst(2) }
            guard fields.count >= 2, fields[0].hasSuffix(":") else { continue }
            let key = String(fields[0].dropLast())
            guard key == "MemTotal" || key == "MemAvailable" || key == "MemFree" else { continue }
            let unit: Int64 = fields.count >= 3 && fields[2] == "kB" ? 1024 : 1
            let written = fields.dropFirst().joined(separator: " ")
            guard let value = Int64(fields[1]) else {
                problems.append(PhysicalBounds.memoryBytes.problem(written, from: "meminfo \(key)"))
                continue
            }
            values[key] = PhysicalBounds.memoryBytes.admit(
                value,
                times: unit,
                written: written,
                from: "meminfo \(key)",
                problems: &problems
            )
        }
        return Meminfo(
            totalBytes: values["MemTotal"],
            availableBytes: values["MemAvailable"] ?? values["MemFree"],
            problems: problems
        )
    }
}

/// hwloc's textual bitmap (`0x00000303,0x03030000,,0x03030303`): comma-separated 32-bit words,
/// most significant first, an empty word meaning zero, and `0xf...f` an infinitely set prefix.
enum HwlocBitmap {
    /// The set bit indexes (cpuset: PU OS indexes; nodeset: NUMA OS indexes), ascending.
    /// An infinite prefix is ignored: only explicit words count.
    static func indexes(_ text: String) -> [Int] {
        var result: [Int] = []
        let words = text.split(separator: ",", omittingEmptySubsequences: false).reversed()
        for (position, word) in words.enumerated() {
            var digits = word
            if digits.hasPrefix("0x") { digits = digits.dropFirst(2) }
            guard !digits.isEmpty, !digits.contains("."), let value = UInt32(digits, radix: 16) else { continue }
            for bit in 0..<32 where value & (1 << UInt32(bit)) != 0 { result.append(position * 32 + bit) }
        }
        return result
    }
}

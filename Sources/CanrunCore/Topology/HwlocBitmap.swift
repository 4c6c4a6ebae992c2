/// hwloc's textual bitmap (`0x00000303,0x03030000,,0x03030303`): comma-separated 32-bit words,
/// most significant first, an empty word meaning zero, and `0xf...f` an infinitely set prefix.
enum HwlocBitmap {
    /// The set bit indexes (cpuset: PU OS indexes; nodeset: NUMA OS indexes), ascending, and
    /// whether bits at or above `limit` were set: those are left out, so an absurdly large set
    /// costs no more than `limit` indexes. An infinite prefix is ignored: only explicit words count.
    static func indexes(_ text: String, below limit: Int) -> (indexes: [Int], beyond: Bool) {
        var result: [Int] = []
        var beyond = false
        let words = text.split(separator: ",", omittingEmptySubsequences: false).reversed()
        for (position, word) in words.enumerated() {
            var digits = word
            if digits.hasPrefix("0x") { digits = digits.dropFirst(2) }
            guard !digits.isEmpty, !digits.contains("."), let value = UInt32(digits, radix: 16), value != 0 else {
                continue
            }
            guard position < (limit + 31) / 32 else {
                beyond = true
                continue
            }
            for bit in 0..<32 where value & (1 << UInt32(bit)) != 0 {
                let index = position * 32 + bit
                if index < limit { result.append(index) } else { beyond = true }
            }
        }
        return (result, beyond)
    }
}

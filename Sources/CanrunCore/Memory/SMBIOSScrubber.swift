/// Removes what identifies one machine from a raw SMBIOS table before it is shared: serial
/// numbers and asset tags (types 1, 2, 3, 4, 17) are overwritten with `X` of the same length,
/// and the system UUID (type 1) is zeroed. Lengths stay the same, so the table still decodes.
public enum SMBIOSScrubber {
    /// Formatted-area offsets of string fields to blank, per structure type.
    private static let secretStrings: [UInt8: [Int]] = [
        1: [0x07],  // serial number
        2: [0x07, 0x08],  // serial, asset tag
        3: [0x07, 0x08],  // serial, asset tag
        4: [0x20, 0x21],  // serial, asset tag
        17: [0x18, 0x19],  // serial, asset tag
    ]

    public static func scrub(_ table: [UInt8]) -> [UInt8] {
        var bytes = table
        var offset = 0
        while offset + 4 <= bytes.count {
            let type = bytes[offset]
            let length = Int(bytes[offset + 1])
            guard length >= 4, offset + length <= bytes.count else { break }
            var end = offset + length
            while end + 1 < bytes.count, !(bytes[end] == 0 && bytes[end + 1] == 0) { end += 1 }
            if type == 1, length >= 0x18 {
                for i in (offset + 0x08)..<(offset + 0x18) { bytes[i] = 0 }
            }
            for field in secretStrings[type] ?? [] where field < length {
                blank(string: Int(bytes[offset + field]), in: &bytes, from: offset + length, to: end)
            }
            if type == 127 { break }
            offset = end + 2
        }
        return bytes
    }

    private static func blank(string index: Int, in bytes: inout [UInt8], from start: Int, to end: Int) {
        guard index > 0 else { return }
        var current = 1
        var i = start
        while i < end {
            if current == index {
                while i < end, bytes[i] != 0 {
                    bytes[i] = UInt8(ascii: "X")
                    i += 1
                }
                return
            }
            if bytes[i] == 0 { current += 1 }
            i += 1
        }
    }
}

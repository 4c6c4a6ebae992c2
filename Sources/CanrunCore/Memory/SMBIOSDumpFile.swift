/// Reads the file `dmidecode --dump-bin FILE` writes: the SMBIOS entry point at offset 0
/// (`_SM3_` for 3.x, `_SM_` for 2.x) with its table address rewritten to the table's offset in
/// the file (0x20).
public enum SMBIOSDumpFile {
    /// True when `bytes` start with an SMBIOS entry point anchor.
    public static func isDump(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: Array("_SM3_".utf8)) || bytes.starts(with: Array("_SM_".utf8))
    }

    /// The structure table inside a dump, or nil when the entry point points outside the file.
    public static func table(_ bytes: [UInt8]) -> [UInt8]? {
        guard isDump(bytes) else { return nil }
        func little(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= bytes.count else { return nil }
            return (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) }
        }
        let is3 = bytes.starts(with: Array("_SM3_".utf8))
        // SMBIOS 3.x: u32 maximum table size at 0x0C, u64 address at 0x10.
        // SMBIOS 2.x: u16 table length at 0x16, u32 address at 0x18 (in the _DMI_ part).
        let address = is3 ? little(0x10, 8) : little(0x18, 4)
        let length = is3 ? little(0x0C, 4) : little(0x16, 2)
        guard let address, let length, address >= 0x10, address < bytes.count else { return nil }
        return Array(bytes[address..<min(bytes.count, address + length)])
    }
}

/// One SMBIOS type-17 memory device as any source reported it (raw table, `dmidecode` text,
/// udev's database), before channels are worked out.
public struct MemoryDeviceRecord: Sendable, Equatable {
    public var locator: String?
    public var bankLocator: String?
    /// Bytes; `0` is an empty slot, `nil` an unknown size.
    public var sizeBytes: Int64?
    public var type: String?
    public var typeDetail: [String]
    public var formFactor: String?
    public var speedMts: Int?
    public var configuredSpeedMts: Int?
    public var dataWidthBits: Int?
    public var totalWidthBits: Int?
    public var rank: Int?
    public var manufacturer: String?
    public var partNumber: String?

    public init(
        locator: String? = nil,
        bankLocator: String? = nil,
        sizeBytes: Int64? = nil,
        type: String? = nil,
        typeDetail: [String] = [],
        formFactor: String? = nil,
        speedMts: Int? = nil,
        configuredSpeedMts: Int? = nil,
        dataWidthBits: Int? = nil,
        totalWidthBits: Int? = nil,
        rank: Int? = nil,
        manufacturer: String? = nil,
        partNumber: String? = nil
    ) {
        self.locator = locator
        self.bankLocator = bankLocator
        self.sizeBytes = sizeBytes
        self.type = type
        self.typeDetail = typeDetail
        self.formFactor = formFactor
        self.speedMts = speedMts
        self.configuredSpeedMts = configuredSpeedMts
        self.dataWidthBits = dataWidthBits
        self.totalWidthBits = totalWidthBits
        self.rank = rank
        self.manufacturer = manufacturer
        self.partNumber = partNumber
    }

    /// True when a module sits in the slot.
    public var isPopulated: Bool { (sizeBytes ?? 1) > 0 }
}

/// One SMBIOS type-4 processor socket.
public struct ProcessorRecord: Sendable, Equatable {
    public var socketDesignation: String?
    public var populated: Bool
    public var manufacturer: String?
    public var version: String?
    public var coreCount: Int?
    public var threadCount: Int?

    public init(
        socketDesignation: String? = nil,
        populated: Bool,
        manufacturer: String? = nil,
        version: String? = nil,
        coreCount: Int? = nil,
        threadCount: Int? = nil
    ) {
        self.socketDesignation = socketDesignation
        self.populated = populated
        self.manufacturer = manufacturer
        self.version = version
        self.coreCount = coreCount
        self.threadCount = threadCount
    }
}

/// What an SMBIOS source said about memory and processors.
public struct SMBIOSReading: Sendable, Equatable {
    public var memoryDevices: [MemoryDeviceRecord]
    public var processors: [ProcessorRecord]
    /// Σ of the Memory Array Mapped Address (type 19) ranges, bytes: the installed memory the
    /// firmware maps, which is all there is to go by when it lists no memory devices (type 17).
    /// `nil` when it lists no range, or one it lists is unreadable.
    public var mappedMemoryBytes: Int64?
    /// `smbios` (raw table), `dmidecode` (its text output) or `udev` (udev's database).
    public var source: String
    /// Values the source gave that no machine has (`PhysicalBounds`), in words; each became unknown.
    public var problems: [String]

    public init(
        memoryDevices: [MemoryDeviceRecord],
        processors: [ProcessorRecord],
        mappedMemoryBytes: Int64? = nil,
        source: String,
        problems: [String] = []
    ) {
        self.memoryDevices = memoryDevices
        self.processors = processors
        self.mappedMemoryBytes = mappedMemoryBytes
        self.source = source
        self.problems = problems
    }
}

/// SMBIOS enumerations shared by the raw decoder and the text readers.
enum SMBIOSNames {
    /// Memory Device Type (type 17, offset 0x12), SMBIOS 3.7 table 76.
    static func memoryType(_ code: UInt8) -> String? {
        switch code {
        case 0x03: "DRAM"
        case 0x07: "RAM"
        case 0x0F: "SDRAM"
        case 0x12: "DDR"
        case 0x13: "DDR2"
        case 0x14: "DDR2 FB-DIMM"
        case 0x18: "DDR3"
        case 0x19: "FBD2"
        case 0x1A: "DDR4"
        case 0x1B: "LPDDR"
        case 0x1C: "LPDDR2"
        case 0x1D: "LPDDR3"
        case 0x1E: "LPDDR4"
        case 0x1F: "Logical non-volatile device"
        case 0x20: "HBM"
        case 0x21: "HBM2"
        case 0x22: "DDR5"
        case 0x23: "LPDDR5"
        case 0x24: "HBM3"
        default: nil
        }
    }

    /// Form Factor (type 17, offset 0x0E), SMBIOS 3.7 table 75.
    static func formFactor(_ code: UInt8) -> String? {
        switch code {
        case 0x01: "Other"
        case 0x03: "SIMM"
        case 0x04: "SIP"
        case 0x05: "Chip"
        case 0x06: "DIP"
        case 0x07: "ZIP"
        case 0x08: "Proprietary Card"
        case 0x09: "DIMM"
        case 0x0A: "TSOP"
        case 0x0B: "Row Of Chips"
        case 0x0C: "RIMM"
        case 0x0D: "SODIMM"
        case 0x0E: "SRIMM"
        case 0x0F: "FB-DIMM"
        case 0x10: "Die"
        default: nil
        }
    }

    /// Type Detail bits (type 17, offset 0x13), SMBIOS 3.7 table 77.
    static func typeDetail(_ bits: UInt16) -> [String] {
        let names: [(Int, String)] = [
            (1, "Other"), (3, "Fast-paged"), (4, "Static column"), (5, "Pseudo-static"), (6, "RAMBus"),
            (7, "Synchronous"), (8, "CMOS"), (9, "EDO"), (10, "Window DRAM"), (11, "Cache DRAM"),
            (12, "Non-Volatile"), (13, "Registered (Buffered)"), (14, "Unbuffered (Unregistered)"), (15, "LRDIMM"),
        ]
        return names.filter { bits & (1 << $0.0) != 0 }.map(\.1)
    }
}

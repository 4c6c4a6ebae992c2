/// System memory: how much, how it is built, and the peak rate the DIMMs allow.
public struct MemoryFacts: Codable, Sendable, Equatable {
    /// `MemTotal` of `/proc/meminfo`, bytes. Per-node figures can lag on VMs; this one does not.
    public var totalBytes: Int64?
    /// `MemAvailable` of `/proc/meminfo`, bytes, at probe time.
    public var availableBytes: Int64?
    /// Memory installed as SMBIOS says, bytes: Σ of the modules when every memory device's size
    /// is known, else Σ of the Memory Array Mapped Address ranges (type 19); `nil` when SMBIOS
    /// was not read or lists neither — never `0` for "no data". A little above `totalBytes`,
    /// which lacks what firmware and the kernel reserve.
    public var installedBytes: Int64?
    /// Populated memory devices (SMBIOS type 17 with a size); `nil` when no SMBIOS source was
    /// readable or it lists no memory device at all, so "unknown" and "none" stay apart.
    public var modules: [MemoryModuleFacts]?
    /// Memory device slots the firmware lists, populated or not.
    public var slots: Int?
    /// Populated channels: a second DIMM on a channel adds capacity, not bandwidth.
    public var channelsPopulated: Int?
    /// `stated` when the slot names give the channel, `inferred` when a vendor convention or the
    /// per-device data widths of soldered LPDDR do, `unknown` when neither does.
    public var channelMapping: ChannelMapping?
    /// Σ over populated channels of data width ÷ 8 × configured MT/s × 10⁶, bytes per second.
    public var theoreticalBandwidthBytesPerS: Int64?
    /// The same figures per CPU socket (multi-socket machines read mostly their own socket's).
    public var sockets: [SocketMemoryFacts]

    public init(
        totalBytes: Int64? = nil,
        availableBytes: Int64? = nil,
        installedBytes: Int64? = nil,
        modules: [MemoryModuleFacts]? = nil,
        slots: Int? = nil,
        channelsPopulated: Int? = nil,
        channelMapping: ChannelMapping? = nil,
        theoreticalBandwidthBytesPerS: Int64? = nil,
        sockets: [SocketMemoryFacts] = []
    ) {
        self.totalBytes = totalBytes
        self.availableBytes = availableBytes
        self.installedBytes = installedBytes
        self.modules = modules
        self.slots = slots
        self.channelsPopulated = channelsPopulated
        self.channelMapping = channelMapping
        self.theoreticalBandwidthBytesPerS = theoreticalBandwidthBytesPerS
        self.sockets = sockets
    }
}

/// How the channel of each memory device was determined.
public enum ChannelMapping: String, Codable, Sendable, Equatable {
    case stated
    case inferred
    case unknown
}

/// Channel count and peak bandwidth of one CPU socket's memory.
public struct SocketMemoryFacts: Codable, Sendable, Equatable {
    public var socket: Int
    public var channelsPopulated: Int
    public var theoreticalBandwidthBytesPerS: Int64?

    public init(socket: Int, channelsPopulated: Int, theoreticalBandwidthBytesPerS: Int64?) {
        self.socket = socket
        self.channelsPopulated = channelsPopulated
        self.theoreticalBandwidthBytesPerS = theoreticalBandwidthBytesPerS
    }
}

/// One populated memory device (DIMM, SO-DIMM, or soldered LPDDR package) as SMBIOS type 17
/// describes it.
public struct MemoryModuleFacts: Codable, Sendable, Equatable {
    public var locator: String?
    public var bankLocator: String?
    public var sizeBytes: Int64
    /// SMBIOS memory type name (`DDR4`, `DDR5`, `LPDDR5`, …) as the table says it, even when the
    /// firmware is wrong; `nil` when the table does not know.
    public var type: String?
    public var formFactor: String?
    /// The module's rated maximum, MT/s.
    public var speedMts: Int?
    /// What the memory controller actually runs, MT/s.
    public var configuredSpeedMts: Int?
    /// Data bits without ECC.
    public var dataWidthBits: Int?
    public var totalWidthBits: Int?
    public var rank: Int?
    public var manufacturer: String?
    public var partNumber: String?
    /// Channel key this device was assigned to (`P0/A`), `nil` when unknown.
    public var channel: String?

    public init(
        locator: String? = nil,
        bankLocator: String? = nil,
        sizeBytes: Int64,
        type: String? = nil,
        formFactor: String? = nil,
        speedMts: Int? = nil,
        configuredSpeedMts: Int? = nil,
        dataWidthBits: Int? = nil,
        totalWidthBits: Int? = nil,
        rank: Int? = nil,
        manufacturer: String? = nil,
        partNumber: String? = nil,
        channel: String? = nil
    ) {
        self.locator = locator
        self.bankLocator = bankLocator
        self.sizeBytes = sizeBytes
        self.type = type
        self.formFactor = formFactor
        self.speedMts = speedMts
        self.configuredSpeedMts = configuredSpeedMts
        self.dataWidthBits = dataWidthBits
        self.totalWidthBits = totalWidthBits
        self.rank = rank
        self.manufacturer = manufacturer
        self.partNumber = partNumber
        self.channel = channel
    }
}

// A what-if profile may give the RAM and nothing more: no sockets listed is none known.
extension MemoryFacts {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            totalBytes: try c.decodeIfPresent(Int64.self, forKey: .totalBytes),
            availableBytes: try c.decodeIfPresent(Int64.self, forKey: .availableBytes),
            installedBytes: try c.decodeIfPresent(Int64.self, forKey: .installedBytes),
            modules: try c.decodeIfPresent([MemoryModuleFacts].self, forKey: .modules),
            slots: try c.decodeIfPresent(Int.self, forKey: .slots),
            channelsPopulated: try c.decodeIfPresent(Int.self, forKey: .channelsPopulated),
            channelMapping: try c.decodeIfPresent(ChannelMapping.self, forKey: .channelMapping),
            theoreticalBandwidthBytesPerS: try c.decodeIfPresent(Int64.self, forKey: .theoreticalBandwidthBytesPerS),
            sockets: try c.decodeIfPresent([SocketMemoryFacts].self, forKey: .sockets) ?? []
        )
    }
}

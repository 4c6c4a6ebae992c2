/// The PCI Express link between a GPU and the host: what bounds host↔device copies (activations
/// of a split model every token, and the weights in RAM that llama.cpp copies to the GPU for
/// every prompt micro-batch).
public struct PCIeLink: Codable, Sendable, Equatable {
    /// The link's data rate after line encoding, bytes per second, one direction (PCIe 4.0 x16:
    /// 16 GT/s × 128/130 ÷ 8 × 16 lanes = 31.5 GB/s).
    public var bytesPerS: Int64
    /// 1–6; nil when the source gave only a rate (hwloc).
    public var generation: Int?
    /// Lanes; nil when the source gave only a rate.
    public var width: Int?
    /// `sysfs` (the slowest `max_link_*` from the GPU up to its root port), `nvidia-smi`
    /// (`max_link_gen` × `max_link_width`) or `hwloc` (`pci_link_speed`: the link's current
    /// state, which an idle GPU may have down-clocked).
    public var source: String

    /// From a rate hwloc printed, GB/s; nil unless between PCIe 1.0 x1 and PCIe 6.0 x32.
    public init?(gigabytesPerS: Double, source: String) {
        guard gigabytesPerS.isFinite, gigabytesPerS >= 0.25, gigabytesPerS <= 256 else { return nil }
        self.init(bytesPerS: Int64((gigabytesPerS * 1e9).rounded()), source: source)
    }

    public init(bytesPerS: Int64, generation: Int? = nil, width: Int? = nil, source: String) {
        self.bytesPerS = bytesPerS
        self.generation = generation
        self.width = width
        self.source = source
    }

    /// From a transfer rate per lane and a width: 2.5 and 5 GT/s code 8 bits in 10, 8 GT/s and
    /// faster 128 in 130 (PCIe 6.0's FLIT mode is counted the same way). Nil outside what PCIe
    /// defines (up to 64 GT/s, 1 to 32 lanes), so a corrupt recording cannot claim a link.
    public init?(gigatransfersPerS: Double, width: Int, source: String) {
        guard gigatransfersPerS.isFinite, gigatransfersPerS >= 2.5, gigatransfersPerS <= 64, (1...32).contains(width)
        else { return nil }
        let encoding = gigatransfersPerS < 8 ? 8.0 / 10 : 128.0 / 130
        bytesPerS = Int64((gigatransfersPerS * 1e9 * encoding / 8 * Double(width)).rounded())
        generation = Self.generations.first { abs($0.rate - gigatransfersPerS) < 0.01 }?.generation
        self.width = width
        self.source = source
    }

    /// From a generation (1–6) and a width, as `nvidia-smi` reports them.
    public init?(generation: Int, width: Int, source: String) {
        guard let rate = Self.generations.first(where: { $0.generation == generation })?.rate else { return nil }
        self.init(gigatransfersPerS: rate, width: width, source: source)
    }

    /// From sysfs `max_link_speed` (`16.0 GT/s PCIe`, older kernels `8 GT/s`) and
    /// `max_link_width` (`16`); nil for `Unknown` or anything else.
    public init?(sysfsSpeed: String, width: String, source: String = "sysfs") {
        guard let number = sysfsSpeed.split(separator: " ").first, sysfsSpeed.contains("GT/s"),
            let rate = Double(number), let lanes = Int(width.trimmingCharacters(in: .whitespaces))
        else { return nil }
        self.init(gigatransfersPerS: rate, width: lanes, source: source)
    }

    private static let generations: [(generation: Int, rate: Double)] = [
        (1, 2.5), (2, 5), (3, 8), (4, 16), (5, 32), (6, 64),
    ]

    /// The slower of two links in a path (a x16 card in a slot wired for x4, a Gen 5 card behind
    /// a Gen 4 switch): each lane count and rate at its minimum.
    public func bottleneck(_ other: PCIeLink) -> PCIeLink {
        if let a = generation, let b = other.generation, let w = width, let v = other.width,
            let both = PCIeLink(generation: min(a, b), width: min(w, v), source: source)
        {
            return both
        }
        return other.bytesPerS < bytesPerS ? other : self
    }

    /// The one of `links` copies most likely cross at: a maximum read along the path (sysfs),
    /// then a driver tool's maximum, then hwloc's rate (the link's state when recorded, which an
    /// idle GPU may have down-clocked); nil when none is known.
    public static func preferred(_ links: PCIeLink?...) -> PCIeLink? {
        func rank(_ link: PCIeLink) -> Int { link.source == "sysfs" ? 0 : link.source == "hwloc" ? 2 : 1 }
        return links.compactMap { $0 }.enumerated().min {
            (rank($0.element), $0.offset) < (rank($1.element), $1.offset)
        }?
        .element
    }

    /// `PCIe 4.0 x16`, or the rate alone when the source gave no generation.
    public var label: String {
        guard let generation, let width else {
            return "a \(ProfileText.decimal(Double(bytesPerS) / 1e9, places: 1)) GB/s PCIe link"
        }
        return "PCIe \(generation).0 x\(width)"
    }
}

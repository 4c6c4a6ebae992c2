/// How fast llama.cpp copies between host memory and a GPU over its PCIe link: the link's rate
/// after line encoding × 0.8, what pinned-memory copies reach in practice (CUDA's
/// `bandwidthTest` reads about 26 of PCIe 4.0 x16's 31.5 GB/s); an assumption canrun states,
/// not a measurement. An unknown link is taken as PCIe 4.0 x16, and the note says so.
public struct PCIeCopyRate: Sendable, Equatable {
    public static let efficiency = 0.8
    public static let assumedLink = PCIeLink(generation: 4, width: 16, source: "assumed")!

    public var link: PCIeLink
    /// False when `link` is the assumed one.
    public var known: Bool

    public init(_ link: PCIeLink?) {
        self.link = link ?? Self.assumedLink
        known = link != nil
    }

    /// The slowest of several GPUs' links; assumed when any of them is unknown.
    public init(slowestOf links: [PCIeLink?]) {
        let known = links.compactMap { $0 }
        self.init(known.count == links.count ? known.min { $0.bytesPerS < $1.bytesPerS } : nil)
    }

    /// Bytes per second one copy moves.
    public var bytesPerS: Double { Double(link.bytesPerS) * Self.efficiency }

    /// `PCIe 4.0 x16 (sysfs)`, or `PCIe 4.0 x16 assumed (link unknown)`.
    public var description: String {
        known ? "\(link.label) (\(link.source))" : "\(link.label) assumed (link unknown)"
    }
}

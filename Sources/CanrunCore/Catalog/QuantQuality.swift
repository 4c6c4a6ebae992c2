/// How much a quantization changes a model's answers, as a person choosing one needs it: the
/// published mean KL divergence of its next-token distribution from F16's (`config/quants.toml`,
/// Llama 3 8B) and the tier that divergence falls in.
///
/// The tiers' bounds sit in the gaps of that table (Benchmarks/quality/README.md), so each tier
/// holds types that lose alike: `Q8_0`/`Q6_K` (KLD ≤ 0.006) change almost nothing; the 5-bit
/// types, `Q4_K_M`, `Q4_K_S` and the 4-bit IQ types (0.011-0.036) lose a little, what published
/// GGUFs default to; `Q4_0`, `Q4_1`, the larger 3-bit types (0.07-0.14) lose noticeably, twice
/// `Q4_K_M`'s or more; `Q3_K_S`, `IQ3_XXS` and every 2- and 1-bit type (0.18 and up; perplexity
/// +12 % to several times) lose heavily, and answers offer them only when asked to.
public struct QuantQuality: Codable, Sendable, Equatable {
    public enum Tier: String, Codable, Sendable, Comparable, CaseIterable, CustomStringConvertible {
        case heavyLoss = "heavy_loss"
        case noticeableLoss = "noticeable_loss"
        case smallLoss = "small_loss"
        case nearLossless = "near_lossless"

        /// The tier of a mean KL divergence from F16.
        public init(kld: Double) {
            self =
                kld <= 0.01 ? .nearLossless : kld <= 0.05 ? .smallLoss : kld <= 0.15 ? .noticeableLoss : .heavyLoss
        }

        public var description: String { rawValue }

        /// In words: `small loss`.
        public var words: String { rawValue.replacingOccurrences(of: "_", with: " ") }

        /// For a table column: `~none`, `small`, `noticeable`, `heavy`.
        public var shortName: String {
            switch self {
            case .nearLossless: "~none"
            case .smallLoss: "small"
            case .noticeableLoss: "noticeable"
            case .heavyLoss: "heavy"
            }
        }

        public static func < (a: Tier, b: Tier) -> Bool {
            allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
        }
    }

    /// Mean KL divergence from F16, nats per token (0 for float types).
    public var kld: Double
    public var tier: Tier
    /// Where the figure comes from when it is not the type's own (`QuantTable.quality(of:model:)`).
    public var note: String? = nil

    public init(kld: Double, note: String? = nil) {
        self.kld = kld
        tier = Tier(kld: kld)
        self.note = note
    }
}

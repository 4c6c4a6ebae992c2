/// What a fit means for a person, from worst to best (`Comparable` in that order). Encoded as
/// `does_not_fit`, `runs_slowly`, `runs`, `runs_well`.
public enum Verdict: String, Codable, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    case doesNotFit = "does_not_fit"
    case runsSlowly = "runs_slowly"
    case runs
    case runsWell = "runs_well"

    /// Decode speeds for the verdict, tokens per second: reading speed and a usable floor.
    public static let runsWellTokensPerS = 10.0
    public static let runsTokensPerS = 3.0

    /// The verdict of a placement that fits and decodes `tokensPerS` (nil: unknown, which says
    /// `runs`: it fits, and nothing says it is slow).
    public init(fittingAt tokensPerS: Double?) {
        guard let speed = tokensPerS else {
            self = .runs
            return
        }
        self = speed >= Self.runsWellTokensPerS ? .runsWell : speed >= Self.runsTokensPerS ? .runs : .runsSlowly
    }

    public var description: String { rawValue }

    /// In words: `runs well`, `does not fit`.
    public var words: String { rawValue.replacingOccurrences(of: "_", with: " ") }

    public static func < (a: Verdict, b: Verdict) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

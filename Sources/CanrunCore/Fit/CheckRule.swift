/// `canrun check`'s decision: fits, and meets the speed goal when one is given.
public enum CheckRule {
    /// Whether the check passes, and one line of reason.
    public static func decide(_ r: FitReport, minTokensPerSecond: Double?) -> (Bool, String) {
        let what = "\(r.model) \(r.quant) at \(r.contextTokens) tokens"
        guard r.fits else { return (false, "\(what) does not fit: \(r.reasons.first ?? "")") }
        if let goal = minTokensPerSecond {
            guard let speed = r.decodeTokensPerS else {
                return (false, "\(what) fits (\(r.placement.mode)), but its speed is unknown: run canrun bench")
            }
            if speed < goal {
                return (false, "\(what) fits (\(r.placement.mode)) but decodes about \(speed) tokens/s, below \(goal)")
            }
            return (true, "\(what) fits (\(r.placement.mode)) and decodes about \(speed) tokens/s (goal \(goal))")
        }
        return (
            true, "\(what) fits (\(r.placement.mode))" + (r.decodeTokensPerS.map { ", about \($0) tokens/s" } ?? "")
        )
    }
}

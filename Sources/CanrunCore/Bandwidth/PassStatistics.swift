import Foundation

/// The statistics of repeated passes of one kernel: best and median rate and their spread.
///
/// The best pass is the machine's capability (other tenants and interrupts only ever slow a
/// pass down); the median says what a run typically sees. A measurement is stable when the
/// coefficient of variation of the last `window` passes is under `stableCV` (2%).
public struct PassStatistics: Codable, Sendable, Equatable {
    public var passes: Int
    /// Bytes per second of the fastest pass.
    public var bestBytesPerS: Int64
    public var medianBytesPerS: Int64
    /// Standard deviation ÷ mean of the last `window` pass rates.
    public var coefficientOfVariation: Double
    public var stable: Bool

    public static let window = 5
    public static let stableCV = 0.02

    /// - Parameter rates: bytes per second of each timed pass, in order; at least one.
    public init?(rates: [Double]) {
        guard !rates.isEmpty, rates.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        let sorted = rates.sorted()
        passes = rates.count
        bestBytesPerS = Int64(sorted[sorted.count - 1].rounded())
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        medianBytesPerS = Int64(median.rounded())
        coefficientOfVariation = PassStatistics.coefficientOfVariation(Array(rates.suffix(PassStatistics.window)))
        stable = rates.count >= PassStatistics.window && coefficientOfVariation < PassStatistics.stableCV
    }

    static func coefficientOfVariation(_ values: [Double]) -> Double {
        guard values.count > 1 else { return .infinity }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)
        return variance.squareRoot() / mean
    }
}

/// Decides after each pass whether to measure again: until the last passes are stable, or the
/// time budget of the kernel runs out (then the result is reported as not stable).
public struct MeasurementPolicy: Sendable, Equatable {
    /// Untimed passes first: page faults, frequency ramp-up and THP promotion land there.
    public var warmupPasses: Int
    public var minimumPasses: Int
    public var maximumPasses: Int
    /// Seconds this kernel may take, warm-up included.
    public var budgetSeconds: Double

    public init(warmupPasses: Int = 1, minimumPasses: Int = 5, maximumPasses: Int = 200, budgetSeconds: Double) {
        self.warmupPasses = warmupPasses
        self.minimumPasses = minimumPasses
        self.maximumPasses = maximumPasses
        self.budgetSeconds = budgetSeconds
    }

    public enum Decision: Sendable, Equatable {
        case measureAgain
        case stop
    }

    /// - Parameters:
    ///   - rates: timed pass rates so far.
    ///   - elapsedSeconds: time spent on this kernel so far, warm-up included.
    ///   - lastPassSeconds: duration of the most recent pass, to avoid overrunning the budget.
    public func decide(rates: [Double], elapsedSeconds: Double, lastPassSeconds: Double) -> Decision {
        if rates.count >= maximumPasses { return .stop }
        if rates.count >= minimumPasses,
            PassStatistics.coefficientOfVariation(Array(rates.suffix(PassStatistics.window))) < PassStatistics.stableCV
        {
            return .stop
        }
        // Keep the minimum even past the budget, unless passes are very slow.
        if rates.count < minimumPasses && elapsedSeconds + lastPassSeconds <= budgetSeconds * 1.5 {
            return .measureAgain
        }
        return elapsedSeconds + lastPassSeconds <= budgetSeconds ? .measureAgain : .stop
    }
}

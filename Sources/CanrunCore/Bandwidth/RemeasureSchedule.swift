/// When canrund measures a provisional bandwidth reading again (issue 13): a reading taken while
/// other programs kept the CPUs busy (`BandwidthReport.provisional`) is retried after `first`,
/// then at doubling intervals up to `longest`, until one is taken on a quiet machine. Each try
/// waits for quiet itself first (`BandwidthPlan.Options.quietWaitSeconds`), and a quiet reading
/// ends the retries until a later one is provisional again.
public struct RemeasureSchedule: Sendable, Equatable {
    /// Five minutes: long enough for a boot's or a deployment's burst of work to pass.
    public static let first: Duration = .seconds(300)
    /// Six hours: a machine busy all day is still measured a few times a day.
    public static let longest: Duration = .seconds(6 * 3600)

    /// How long to wait before the next look at the reading.
    public private(set) var next: Duration = Self.first

    public init() {}

    /// After a try that was provisional again, or failed: twice as long, at most `longest`.
    public mutating func backOff() { next = min(next * 2, Self.longest) }

    /// After a quiet reading, or when the reading is not provisional: from `first` again.
    public mutating func reset() { next = Self.first }
}

/// When a long answer should give up: the adapter that owns a clock says whether the time is
/// up, and the pure code asks between units of work (a model of the recommendation table, a
/// rung of the ladder). `none` never expires.
public struct Deadline: Sendable {
    public let isExpired: @Sendable () -> Bool

    public init(isExpired: @escaping @Sendable () -> Bool) {
        self.isExpired = isExpired
    }

    public static let none = Deadline { false }

    /// Throws `deadlineExceeded` once the time is up.
    func check(_ what: @autoclosure () -> String) throws(AnswerError) {
        guard isExpired() else { return }
        throw AnswerError(
            kind: .deadlineExceeded,
            code: "deadline_exceeded",
            message: "\(what()) took longer than this request may take",
            hint: "retry in a moment; a busy daemon answers again when the queue drains"
        )
    }
}

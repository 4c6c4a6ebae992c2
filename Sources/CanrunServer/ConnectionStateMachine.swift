import NIOCore

/// One connection's clock, as a value: a request's time runs from its first byte to the first
/// byte of its answer (a client trickling bytes, the slowloris attack, runs out of it), and a
/// kept-alive connection may idle between requests for a while. Events come in with the time
/// they happened; actions come out for the handler to perform, so the rules are tested with a
/// clock that only moves when the test says.
struct ConnectionStateMachine: Sendable, Equatable {
    enum State: Sendable, Equatable {
        /// Between requests since this instant.
        case idle(since: NIODeadline)
        /// A request is arriving or being answered; its first byte came at this instant.
        case busy(since: NIODeadline)
        case closed
    }

    enum CloseReason: Sendable, Equatable {
        case requestTimeout, idleTimeout
        /// The connection was idle when another needed its place (`ConnectionPolicy`).
        case evicted
    }

    enum Action: Sendable, Equatable {
        case none
        case close(CloseReason)
    }

    let requestTimeout: TimeAmount
    let idleTimeout: TimeAmount
    private(set) var state: State

    init(now: NIODeadline, requestTimeout: TimeAmount, idleTimeout: TimeAmount) {
        self.requestTimeout = requestTimeout
        self.idleTimeout = idleTimeout
        state = .idle(since: now)
    }

    /// When the connection became idle; nil while busy or closed.
    var idleSince: NIODeadline? {
        if case .idle(let since) = state { return since }
        return nil
    }

    /// Bytes of a request arrived.
    mutating func received(now: NIODeadline) {
        if case .idle = state { state = .busy(since: now) }
    }

    /// The answer started going out: the request's clock stops.
    mutating func answered(now: NIODeadline) {
        if case .busy = state { state = .idle(since: now) }
    }

    /// The periodic check: closes a request past its time, or a connection idle too long.
    mutating func tick(now: NIODeadline) -> Action {
        switch state {
        case .busy(let since) where now - since > requestTimeout:
            state = .closed
            return .close(.requestTimeout)
        case .idle(let since) where now - since > idleTimeout:
            state = .closed
            return .close(.idleTimeout)
        default:
            return .none
        }
    }

    /// Another connection needs this one's place: closed if idle, kept if a request is under way.
    mutating func evict() -> Action {
        guard case .idle = state else { return .none }
        state = .closed
        return .close(.evicted)
    }

    mutating func closed() { state = .closed }
}

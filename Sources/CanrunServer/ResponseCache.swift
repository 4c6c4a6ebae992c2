/// Answers already computed for the current facts: the same request line about the same
/// snapshot (and the same free-memory reading) gets the same bytes, so a provisioning fleet
/// asking the same fit a thousand times costs one fit. Oldest entries go first when full.
struct ResponseCache: Sendable {
    /// A request line as sent, for the facts it was answered from: a repeated question skips
    /// parsing as well as answering.
    struct Key: Hashable, Sendable {
        var target: String
        /// Bumped whenever the snapshot is replaced (reload, benchmark).
        var generation: Int
        var freeMemory: APIDispatcher.FreeMemory?
    }

    private var entries: Bounded<Key, (response: APIResponse, route: String)>

    init(capacity: Int) {
        entries = Bounded(capacity: capacity)
    }

    /// The answer and its route label (for the metrics) when this question was answered before.
    func answer(_ key: Key) -> (response: APIResponse, route: String)? { entries[key] }

    mutating func store(_ response: APIResponse, route: String, for key: Key) {
        entries.insert((response, route), for: key)
    }

    /// Whether answers to `route` depend only on the snapshot (not on time or side effects).
    static func isCacheable(_ route: APIRoute) -> Bool {
        switch route {
        case .machine, .bandwidth, .models, .model, .fit, .recommendations, .report: true
        case .health, .calibration, .observations, .recalibrate, .verify, .verifications, .rebenchmark, .reload,
            .metrics, .fitConfig:
            false
        }
    }

    /// A dictionary of at most `capacity` entries that forgets the oldest first.
    struct Bounded<K: Hashable & Sendable, V: Sendable>: Sendable {
        let capacity: Int
        private var entries: [K: V] = [:]
        private var order: [K] = []
        private var next = 0

        init(capacity: Int) {
            self.capacity = max(1, capacity)
        }

        subscript(key: K) -> V? { entries[key] }

        mutating func insert(_ value: V, for key: K) {
            guard entries[key] == nil else { return }
            if order.count < capacity {
                order.append(key)
            } else {
                entries[order[next]] = nil
                order[next] = key
                next = (next + 1) % capacity
            }
            entries[key] = value
        }
    }
}

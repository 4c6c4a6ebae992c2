/// Answers already computed for the current facts: the same question about the same snapshot
/// (and the same free-memory reading) gets the same bytes, so a provisioning fleet asking the
/// same fit a thousand times costs one fit. Oldest entries go first when full.
struct ResponseCache: Sendable {
    struct Key: Hashable, Sendable {
        var route: APIRoute
        /// Bumped whenever the snapshot is replaced (reload, benchmark).
        var generation: Int
        var freeMemory: APIDispatcher.FreeMemory?
    }

    /// A request line as sent: repeated questions skip parsing too.
    struct RawKey: Hashable, Sendable {
        var target: String
        var generation: Int
        var freeMemory: APIDispatcher.FreeMemory?
    }

    private var byRoute: Bounded<Key, APIResponse>
    private var byTarget: Bounded<RawKey, (response: APIResponse, route: String)>

    init(capacity: Int) {
        byRoute = Bounded(capacity: capacity)
        byTarget = Bounded(capacity: capacity)
    }

    func answer(_ key: Key) -> APIResponse? { byRoute[key] }
    func answer(_ key: RawKey) -> (response: APIResponse, route: String)? { byTarget[key] }
    mutating func store(_ response: APIResponse, for key: Key) { byRoute.insert(response, for: key) }
    mutating func store(_ response: APIResponse, route: String, for key: RawKey) {
        byTarget.insert((response, route), for: key)
    }

    /// Whether answers to `route` depend only on the snapshot (not on time or side effects).
    static func isCacheable(_ route: APIRoute) -> Bool {
        switch route {
        case .machine, .bandwidth, .models, .model, .fit, .recommendations: true
        case .health, .rebenchmark, .reload, .metrics, .fitConfig: false
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

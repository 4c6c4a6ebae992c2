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

    let capacity: Int
    private var entries: [Key: APIResponse] = [:]
    private var order: [Key] = []
    private var next = 0

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    func answer(_ key: Key) -> APIResponse? { entries[key] }

    mutating func store(_ response: APIResponse, for key: Key) {
        guard entries[key] == nil else { return }
        if order.count < capacity {
            order.append(key)
        } else {
            entries[order[next]] = nil
            order[next] = key
            next = (next + 1) % capacity
        }
        entries[key] = response
    }

    /// Whether answers to `route` depend only on the snapshot (not on time or side effects).
    static func isCacheable(_ route: APIRoute) -> Bool {
        switch route {
        case .machine, .bandwidth, .models, .model, .fit, .recommendations: true
        case .health, .rebenchmark, .reload, .metrics, .fitConfig: false
        }
    }
}

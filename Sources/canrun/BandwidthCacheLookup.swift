import CanrunBench
import CanrunCore

/// The user's cached bandwidth measurement for a machine (of its hardware, and plausible on it).
enum BandwidthCacheLookup {
    static func userCache() -> (MachineProfile) -> BandwidthReport? {
        let cache = BandwidthCache(directory: BandwidthCache.userStateDirectory())
        return { machine in
            if case .hit(let report) = cache.load(for: machine) { return report }
            return nil
        }
    }
}

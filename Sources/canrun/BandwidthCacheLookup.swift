import CanrunBench
import CanrunCore

/// The user's cached bandwidth measurement for a hardware fingerprint.
enum BandwidthCacheLookup {
    static func userCache() -> (String) -> BandwidthReport? {
        let cache = BandwidthCache(directory: BandwidthCache.userStateDirectory())
        return { fingerprint in
            if case .hit(let report) = cache.load(fingerprint: fingerprint) { return report }
            return nil
        }
    }
}

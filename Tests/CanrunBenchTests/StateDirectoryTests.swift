import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// The state directory cannot be turned against the daemon, and a cached measurement is
/// checked before it is trusted (issue 11, "Files and state"). CI runs as root: ownership
/// cases give a folder away with chown, which root may.
@Suite(.serialized)
struct StateDirectoryTests {
    static let twoThreads = BandwidthBenchmarkTests.twoThreads

    /// A fresh base folder (removed by the caller) and a cache in `state` below it.
    static func cache() throws -> (BandwidthCache, String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-state-\(UUID())").path
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return (BandwidthCache(directory: base + "/state"), base)
    }

    static func mode(_ path: String) -> mode_t {
        var status = stat()
        lstat(path, &status)
        return status.st_mode & 0o7777
    }

    static func report(read: Int64 = 30_000_000_000, threads: Int = 2) -> BandwidthReport {
        var report = BandwidthBenchmarkTests.measured(read: read, at: 1_800_000_000)
        report.threads = threads
        return report
    }

    /// Created mode 0700 with this process's ownership.
    @Test func theFolderIsCreatedPrivate() throws {
        let (cache, base) = try Self.cache()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try cache.store(Self.report())
        #expect(Self.mode(cache.directory) == 0o700)
        #expect(Self.mode(cache.path) == 0o600)
        #expect(cache.load(fingerprint: "a", plausibility: Self.twoThreads) == .hit(Self.report()))
    }

    /// A link planted where the cache goes is neither read nor written through: the load says
    /// so, the store replaces the link itself, the victim keeps its content.
    @Test func aPlantedLinkIsNotWrittenThrough() throws {
        let (cache, base) = try Self.cache()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try FileManager.default.createDirectory(atPath: cache.directory, withIntermediateDirectories: false)
        chmod(cache.directory, 0o700)
        let victim = base + "/victim"
        try Data("precious".utf8).write(to: URL(fileURLWithPath: victim))
        try FileManager.default.createSymbolicLink(atPath: cache.path, withDestinationPath: victim)
        #expect(
            cache.load(fingerprint: "a", plausibility: Self.twoThreads)
                == .miss(reason: "cached measurement not used: \(cache.path) is a symbolic link (not followed)")
        )
        try cache.store(Self.report())
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "precious")
        #expect(cache.load(fingerprint: "a", plausibility: Self.twoThreads) == .hit(Self.report()))
    }

    /// The folder itself a link, or writable by others: refused with the reason.
    @Test func anUnsafeFolderIsRefused() throws {
        let (cache, base) = try Self.cache()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let real = base + "/real"
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false)
        chmod(real, 0o700)
        try FileManager.default.createSymbolicLink(atPath: cache.directory, withDestinationPath: real)
        #expect(throws: FileError(path: cache.directory, problem: .symbolicLink, code: ENOTDIR)) {
            try cache.store(Self.report())
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: real).isEmpty)

        try FileManager.default.removeItem(atPath: cache.directory)
        try FileManager.default.createDirectory(atPath: cache.directory, withIntermediateDirectories: false)
        chmod(cache.directory, 0o777)
        #expect(
            throws: FileError(
                path: cache.directory,
                problem: .unsafeDirectory(reason: "mode 777 lets its group and every user write it (chmod 700 it)")
            )
        ) { try cache.store(Self.report()) }

        // systemd's StateDirectoryMode=0750 is fine.
        chmod(cache.directory, 0o750)
        try cache.store(Self.report())
    }

    /// Another user's folder: refused, also for reading (made by giving it away, which root may).
    @Test(.enabled(if: geteuid() == 0, "needs root to chown a folder to another user"))
    func anotherUsersFolderIsRefused() throws {
        let (cache, base) = try Self.cache()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try cache.store(Self.report())
        let other: uid_t = geteuid() == 12_345 ? 12_346 : 12_345
        try #require(chown(cache.directory, other, gid_t(other)) == 0)
        #expect(
            cache.load(fingerprint: "a", plausibility: Self.twoThreads)
                == .miss(
                    reason:
                        "cached measurement not used: \(cache.directory) is not a safe directory: it is owned by uid \(other), not by this process (uid \(geteuid()))"
                )
        )
    }

    /// A kill between a store's temporary file and its rename left the file for ever; the
    /// clean-up the daemon runs whenever it loads the cache removes it, and nothing else.
    @Test func staleTemporaryFilesAreRemoved() throws {
        let (cache, base) = try Self.cache()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try cache.store(Self.report())
        let stale = cache.directory + "/.bandwidth.json.tmp-killed"
        try Data("{ half".utf8).write(to: URL(fileURLWithPath: stale))
        #expect(cache.removeStaleTemporaries() == [".bandwidth.json.tmp-killed"])
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.directory) == ["bandwidth.json"])
    }

    /// A forged 5 TB/s on a two-thread machine is refused with the reason; so are zero and
    /// negative rates. The ceiling is 2 × 200 GB/s (BandwidthPlausibility.perThreadBytesPerS).
    @Test(arguments: [
        (
            Int64(5_000_000_000_000),
            "read of 5.0 TB/s is above the 400.0 GB/s this machine can reach (2 threads × 200.0 GB/s)"
        ),
        (Int64(0), "read of 0 bytes/s is not a rate (it must be positive)"),
        (Int64(-1_000_000_000), "read of -1000000000 bytes/s is not a rate (it must be positive)"),
    ])
    func implausibleRatesAreRemeasured(_ read: Int64, _ why: String) throws {
        let (cache, base) = try Self.cache()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let forged = Self.report(read: read)
        let handle = try cache.openDirectory(create: true)
        try handle.replaceAtomically(BandwidthCache.fileName, contents: Array(try ProfileJSON.encoder().encode(forged)))
        #expect(
            cache.load(fingerprint: "a", plausibility: Self.twoThreads)
                == .miss(reason: "cached measurement at \(cache.path) is implausible: \(why); it will be re-measured")
        )
    }

    /// With the DIMMs' peak known, the ceiling is the peak + 25%: the 2-channel DDR5-4800 peak
    /// of 76.8 GB/s allows 96.0 GB/s.
    @Test func thePeakBoundsTheRates() {
        let bounds = BandwidthPlausibility(peak: 76_800_000_000, threads: 16)
        #expect(bounds.ceilingBytesPerS == 96_000_000_000)
        #expect(bounds.problem(in: Self.report(read: 70_000_000_000)) == nil)
        var copy = Self.report(read: 70_000_000_000)
        copy.total.copyBytesPerS = 97_000_000_000
        #expect(
            bounds.problem(in: copy)
                == "copy of 97.0 GB/s is above the 96.0 GB/s this machine can reach (the DIMMs' theoretical peak of 76.8 GB/s (+25%))"
        )
        var threads = Self.report(read: 70_000_000_000, threads: 64)
        #expect(bounds.problem(in: threads) == "64 threads is not a thread count of this machine (1…16)")
        threads.threads = 16
        threads.fractionOfPeak = .infinity
        #expect(bounds.problem(in: threads) == "a fraction of peak of inf is not a fraction")
    }
}

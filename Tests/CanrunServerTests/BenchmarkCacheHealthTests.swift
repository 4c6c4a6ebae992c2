import CanrunCore
import CanrunServer
import Foundation
import Testing

/// A measurement the state directory cannot keep is served all the same, and `/v1/health`
/// says it was not saved (issue 11: a full disk threw the measurement away and health said
/// "pending" for ever).
///
/// Tests run as root, which writes through any mode bits, so the unwritable state directory is
/// one below a regular file (ENOTDIR whoever asks); where tmpfs can be mounted, a full one
/// (ENOSPC on the write itself) is tried too.
@Suite(.serialized)
struct BenchmarkCacheHealthTests {
    static func base() throws -> String {
        let base = NSTemporaryDirectory() + "canrun-health-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true)
        return base
    }

    /// The dispatcher's answer to /v1/health and /v1/bandwidth after a benchmark whose
    /// measurement `keep` stored (or not) under `environment`.
    static func afterBenchmark(environment: [String: String]) async throws -> ([String: Any], APIResponse) {
        let dispatcher = APIDispatcher(
            snapshot: try ServerFixtures.snapshot(bandwidth: nil),
            daemonUID: getuid(),
            limits: ServerLimits(),
            rebenchmark: { _ in DaemonState.keep(ServerFixtures.bandwidth, environment: environment) }
        )
        guard case .measured = await dispatcher.runBenchmark() else {
            Issue.record("the benchmark must be measured")
            return ([:], APIResponse(status: .internalServerError, contentType: "", body: []))
        }
        let service = APIService(snapshot: dispatcher.snapshot)
        return (try ServerFixtures.json(service.respond(to: .health)), service.respond(to: .bandwidth))
    }

    @Test func aFailedWriteKeepsTheMeasurement() async throws {
        let base = try Self.base()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try Data("a file, not a folder".utf8).write(to: URL(fileURLWithPath: base + "/file"))
        let state = base + "/file/canrun"
        let (health, bandwidth) = try await Self.afterBenchmark(environment: ["STATE_DIRECTORY": state])
        #expect(health["benchmark"] as? String == "ready")
        #expect(health["benchmark_cache"] as? String == "not_saved")
        #expect(
            health["benchmark_cache_problem"] as? String
                == "could not save the measurement in \(state): \(state) could not open it as a folder: Not a directory (errno 20)"
        )
        #expect(bandwidth.status == .ok)
        #expect(bandwidth == .json(ServerFixtures.bandwidth))
    }

    @Test func aSavedMeasurementSaysSo() async throws {
        let base = try Self.base()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let (health, _) = try await Self.afterBenchmark(environment: ["STATE_DIRECTORY": base + "/state"])
        #expect(health["benchmark_cache"] as? String == "saved")
        #expect(health["benchmark_cache_problem"] == nil)
    }

    /// Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN).
    static let canMount: Bool = {
        guard geteuid() == 0, let base = try? base() else { return false }
        defer { try? FileManager.default.removeItem(atPath: base) }
        guard mount("tmpfs", base, "tmpfs", 0, "size=64k") == 0 else { return false }
        umount(base)
        return true
    }()

    /// A full disk: the temporary file cannot be written; it is removed, the old cache stays.
    @Test(.enabled(if: canMount, "needs to mount a tmpfs (root with CAP_SYS_ADMIN)"))
    func aFullDiskKeepsTheMeasurement() async throws {
        let base = try Self.base()
        defer { try? FileManager.default.removeItem(atPath: base) }
        try #require(mount("tmpfs", base, "tmpfs", 0, "size=64k,mode=0700") == 0)
        defer { umount(base) }
        let state = base + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        chmod(state, 0o700)
        // Fill it: writes fail with ENOSPC once the 64 KiB are used.
        let filler = open(base + "/filler", O_WRONLY | O_CREAT, 0o600)
        let block = [UInt8](repeating: 0x55, count: 4096)
        while block.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
        close(filler)
        let (health, bandwidth) = try await Self.afterBenchmark(environment: ["STATE_DIRECTORY": state])
        #expect(health["benchmark_cache"] as? String == "not_saved")
        let problem = try #require(health["benchmark_cache_problem"] as? String)
        #expect(problem.hasSuffix("could not write it: No space left on device (errno 28)"))
        #expect(bandwidth.status == .ok)
        #expect(try FileManager.default.contentsOfDirectory(atPath: state).isEmpty)
    }

    /// The daemon's load removes a temporary file a kill left in its state directory.
    @Test func theDaemonRemovesStaleTemporaryFiles() throws {
        let base = try Self.base()
        defer { try? FileManager.default.removeItem(atPath: base) }
        chmod(base, 0o700)
        try Data("{ half".utf8).write(to: URL(fileURLWithPath: base + "/.bandwidth.json.tmp-killed"))
        var environment = ServerFixtures.environment
        environment["STATE_DIRECTORY"] = base
        let (snapshot, miss, _) = try DaemonState.load(environment: environment)
        #expect(try FileManager.default.contentsOfDirectory(atPath: base).isEmpty)
        #expect(miss == "no cached measurement")
        #expect(snapshot.benchmarkCache == nil)
    }
}

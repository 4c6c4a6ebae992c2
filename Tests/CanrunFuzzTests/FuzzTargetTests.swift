import CanrunCore
import Foundation
import Testing

@testable import CanrunFuzzTargets

/// The fuzz targets on the inputs they start from and on everything fuzzing found: each saved
/// input (`Tests/Fixtures/fuzz/TARGET/`) gives the outcome its `EXPECTED` line records, so a
/// finding that once crashed canrun or made it lie stays fixed.
struct FuzzTargetTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let world: FuzzWorld? = try? FuzzWorld.load(
        scratch: NSTemporaryDirectory() + "canrun-fuzz-tests-\(getpid())"
    )

    /// `Tests/Fixtures/fuzz/TARGET/EXPECTED`: `FILE<TAB>OUTCOME` lines.
    static func saved(_ target: FuzzTarget) -> [(file: String, expected: String)] {
        let folder = repository + "/Tests/Fixtures/fuzz/" + target.rawValue
        guard let text = try? String(contentsOfFile: folder + "/EXPECTED", encoding: .utf8) else { return [] }
        return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { line in
            let parts = line.split(separator: "\t", maxSplits: 1)
            return parts.count == 2 ? (folder + "/" + parts[0], String(parts[1])) : nil
        }
    }

    static let savedInputs: [(target: FuzzTarget, file: String, expected: String)] = FuzzTarget.allCases.flatMap {
        target in saved(target).map { (target, $0.file, $0.expected) }
    }

    @Test func everyTargetHasSavedInputs() {
        for target in FuzzTarget.allCases {
            #expect(
                Self.saved(target).count >= 3,
                "Tests/Fixtures/fuzz/\(target.rawValue)/EXPECTED lists too few inputs"
            )
        }
    }

    @Test(arguments: savedInputs.map { "\($0.target.rawValue)/\(URL(fileURLWithPath: $0.file).lastPathComponent)" })
    func savedInputGivesItsRecordedOutcome(_ name: String) throws {
        let world = try #require(Self.world)
        let entry = try #require(
            Self.savedInputs.first {
                "\($0.target.rawValue)/\(URL(fileURLWithPath: $0.file).lastPathComponent)" == name
            }
        )
        let input = try #require(FileManager.default.contents(atPath: entry.file), "\(entry.file) is missing")
        let outcome = try entry.target.run(Array(input), world: world)
        #expect(outcome.description == entry.expected)
    }
}

/// Findings whose outcome line cannot show the whole point.
struct FuzzFindingTests {
    /// A recorded tree (found by the probe target) on which libhwloc 2.9's XML export
    /// dereferences a null bitmap: read in a child process, it costs the topology and a
    /// warning, never canrun.
    @Test func aTreeThatCrashesHwlocIsAWarning() throws {
        let path = FuzzTargetTests.repository + "/Tests/Fixtures/fuzz/probe/found-replay-tree-crashes-hwloc-export.tree"
        let input = try #require(FileManager.default.contents(atPath: path))
        let scratch = NSTemporaryDirectory() + "canrun-fuzz-finding-\(getpid())"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { ReplayTree.remove(scratch) }
        let readings = try ReplayTree(Array(input.dropFirst())).replay(in: scratch)
        #expect(readings.topology == nil)
        #expect(
            readings.warnings.contains(
                "topology of the recorded tree unknown: hwloc crashed reading the recorded tree (signal 11): the tree is corrupt"
            )
        )
        #expect(readings.meminfo?.totalBytes == 366_758_854_656)
    }
}

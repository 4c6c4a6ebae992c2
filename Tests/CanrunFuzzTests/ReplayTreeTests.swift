import Foundation
import Testing

@testable import CanrunFuzzTargets

/// The probe target writes fuzzed trees to disk: it must write inside its scratch folder only,
/// whatever the records say.
struct ReplayTreeTests {
    static func scratch() throws -> String {
        let path = NSTemporaryDirectory() + "canrun-replay-tree-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func recordsBecomeFilesLinksAndFIFOs() throws {
        let tree = ReplayTree(
            Array("@@ proc/meminfo\nMemTotal: 1 kB\n@@ cpuinfo -> proc/meminfo\n@@ fifo |fifo\n".utf8)
        )
        #expect(tree.entries.map(\.path) == [["proc", "meminfo"], ["cpuinfo"], ["fifo"]])
        #expect(tree.entries.map(\.entry) == [.file(Array("MemTotal: 1 kB".utf8)), .link("proc/meminfo"), .fifo])
    }

    /// `..` is dropped, and a record whose way runs through a link (here one to the folder
    /// above the scratch) is skipped, so nothing is written outside.
    @Test func nothingIsWrittenOutsideTheTree() throws {
        let root = try Self.scratch()
        defer { ReplayTree.remove(root) }
        let outside = (root as NSString).deletingLastPathComponent
        let marker = "canrun-escape-\(UUID().uuidString.prefix(8))"
        let records = "@@ up -> \(outside)\n@@ up/\(marker)\nescaped\n@@ ../../\(marker)\nescaped\n"
        ReplayTree(Array(records.utf8)).write(under: root)
        #expect(!FileManager.default.fileExists(atPath: outside + "/" + marker))
        // The `..` record lands inside, as a plain file of the tree.
        #expect(FileManager.default.fileExists(atPath: root + "/" + marker))
    }

    /// Each replay writes a folder of its own and removes it: inputs run side by side.
    @Test func aReplayLeavesNothingBehind() throws {
        let scratch = try Self.scratch()
        defer { ReplayTree.remove(scratch) }
        let readings = try ReplayTree(Array("@@ proc/meminfo\nMemTotal: 1024 kB\n".utf8)).replay(in: scratch)
        #expect(readings.meminfo?.totalBytes == 1_048_576)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch).isEmpty)
    }

    /// Removing a tree never follows its links: what they point at survives.
    @Test func removingATreeLeavesLinkTargetsAlone() throws {
        let scratch = try Self.scratch()
        let keep = try Self.scratch()
        defer { ReplayTree.remove(keep) }
        #expect(FileManager.default.createFile(atPath: keep + "/precious", contents: Data("x".utf8)))
        try FileManager.default.createSymbolicLink(atPath: scratch + "/link", withDestinationPath: keep)
        ReplayTree.remove(scratch)
        #expect(!FileManager.default.fileExists(atPath: scratch))
        #expect(FileManager.default.fileExists(atPath: keep + "/precious"))
    }
}

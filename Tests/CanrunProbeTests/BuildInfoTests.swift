import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// `canrun --version`: the commit from an install's `BUILD` file or the checkout's git, and the
/// data files' digest.
struct BuildInfoTests {
    static let commit = "0c1e57098a1b2c3d4e5f60718293a4b5c6d7e8f9"

    @Test func theDigestIsOfNamesAndBytesInNameOrder() {
        let a: [(name: String, bytes: [UInt8])] = [("gpus.toml", [1, 2]), ("models/x.toml", [3])]
        #expect(BuildInfo.digest(a) == BuildInfo.digest(a.reversed()))
        #expect(BuildInfo.digest(a) != BuildInfo.digest([("gpus.toml", [1, 2]), ("models/y.toml", [3])]))
        #expect(BuildInfo.digest(a) != BuildInfo.digest([("gpus.toml", [1]), ("models/x.toml", [2, 3])]))
        #expect(BuildInfo.digest(a).count == 16)
    }

    @Test func gitsHeadNamesTheCommit() {
        #expect(BuildInfo.commit(head: Self.commit + "\n", ref: { _ in nil }, packedRefs: nil) == Self.commit)
        let loose = BuildInfo.commit(
            head: "ref: refs/heads/main\n",
            ref: { $0 == "refs/heads/main" ? Self.commit + "\n" : nil },
            packedRefs: nil
        )
        #expect(loose == Self.commit)
        let packed = BuildInfo.commit(
            head: "ref: refs/heads/main",
            ref: { _ in nil },
            packedRefs: "# pack-refs with: peeled fully-peeled sorted\n\(Self.commit) refs/heads/main\n"
        )
        #expect(packed == Self.commit)
        #expect(BuildInfo.commit(head: "ref: ../../etc/passwd", ref: { _ in Self.commit }, packedRefs: nil) == nil)
        #expect(BuildInfo.commit(head: "ref: refs/heads/gone", ref: { _ in nil }, packedRefs: nil) == nil)
        #expect(BuildInfo.commit(head: "garbage", ref: { _ in nil }, packedRefs: nil) == nil)
    }

    /// An installed data folder with a BUILD file, and one in a checkout beside its .git.
    @Test func theReaderFindsTheDataAndTheCommit() throws {
        let root = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(root) }
        let data = root + "/config"
        try FileManager.default.createDirectory(atPath: data + "/models", withIntermediateDirectories: true)
        try "[gpu]\n".write(toFile: data + "/gpus.toml", atomically: true, encoding: .utf8)
        try "a = 1\n".write(toFile: data + "/models/x.toml", atomically: true, encoding: .utf8)
        try "# not data\n".write(toFile: data + "/canrun.toml", atomically: true, encoding: .utf8)
        let environment = ["CANRUN_DATA_DIR": data]
        let bare = BuildInfoReader.read(environment: environment)
        #expect(bare.dataFolder == data)
        #expect(bare.dataFiles == 2)
        #expect(
            bare.data
                == BuildInfo.digest([("gpus.toml", Array("[gpu]\n".utf8)), ("models/x.toml", Array("a = 1\n".utf8))])
        )
        #expect(bare.commit == nil)
        #expect(bare.text(program: "canrun").contains("commit unknown"))

        try FileManager.default.createDirectory(atPath: root + "/.git", withIntermediateDirectories: true)
        try "ref: refs/heads/main\n".write(toFile: root + "/.git/HEAD", atomically: true, encoding: .utf8)
        try "\(Self.commit) refs/heads/main\n".write(
            toFile: root + "/.git/packed-refs",
            atomically: true,
            encoding: .utf8
        )
        let checkout = BuildInfoReader.read(environment: environment)
        #expect(checkout.commit == Self.commit)
        #expect(checkout.commitSource == "the checkout at \(root)")

        let installed = "1111111111111111111111111111111111111111"
        try "commit \(installed)\n".write(toFile: data + "/BUILD", atomically: true, encoding: .utf8)
        let info = BuildInfoReader.read(environment: environment)
        #expect(info.commit == installed)
        #expect(
            info.text(program: "canrun")
                == "canrun \(CanrunVersion.current)\ncommit 111111111111 (\(data)/BUILD)\ndata \(bare.data ?? "") (2 files in \(data))"
        )
    }
}

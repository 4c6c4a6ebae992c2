import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// `canrun probe --record DIR` never writes through a link planted in DIR, and refuses a DIR
/// it should not write into (issue 11, "Safe files everywhere").
struct RecorderSafetyTests {
    static let capture = MachineProbe.Capture(meminfo: "MemTotal: 1024 kB", cpuinfo: "processor\t: 0", nvml: [])

    /// A folder with a link to a victim folder planted as `proc`: refused whole (not empty),
    /// nothing written into the victim.
    @Test func aPlantedLinkIsNeverWrittenThrough() throws {
        let base = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(base) }
        let victim = base + "/victim"
        let record = base + "/record"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: record, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: record + "/proc", withDestinationPath: victim)
        #expect(throws: Recorder.RecordError.self) { try Recorder.write(Self.capture, root: .live, to: record) }
        do {
            try Recorder.write(Self.capture, root: .live, to: record)
        } catch let error as Recorder.RecordError {
            #expect(error.description == "cannot record into \(record): is not empty: choose a new or empty folder")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty)
    }

    /// DIR itself a link: refused (the link is not followed), the target untouched.
    @Test func aFolderThatIsALinkIsRefused() throws {
        let base = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(base) }
        try FileManager.default.createDirectory(atPath: base + "/target", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: base + "/record", withDestinationPath: base + "/target")
        #expect(throws: Recorder.RecordError.self) {
            try Recorder.write(Self.capture, root: .live, to: base + "/record")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/target").isEmpty)
    }

    /// An empty folder another user owns is refused (made by giving it away, which root may).
    @Test(.enabled(if: geteuid() == 0, "needs root to chown a folder to another user"))
    func aFolderOfAnotherUserIsRefused() throws {
        let base = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(base) }
        let record = base + "/record"
        try FileManager.default.createDirectory(atPath: record, withIntermediateDirectories: true)
        let other: uid_t = geteuid() == 12_345 ? 12_346 : 12_345
        try #require(chown(record, other, gid_t(other)) == 0)
        do {
            try Recorder.write(Self.capture, root: .live, to: record)
            Issue.record("a folder of another user must be refused")
        } catch let error as Recorder.RecordError {
            #expect(
                error.description
                    == "cannot record into \(record): is not a safe directory: it is owned by uid \(other), not by this process (uid \(geteuid()))"
            )
        }
    }

    /// A new folder is created and written; the files replay.
    @Test func aNewFolderIsRecorded() throws {
        let base = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(base) }
        try Recorder.write(Self.capture, root: .live, to: base + "/new/record")
        #expect(try String(contentsOfFile: base + "/new/record/proc/meminfo", encoding: .utf8) == "MemTotal: 1024 kB\n")
        #expect(try ReplaySource.read(base + "/new/record").meminfo?.totalBytes == 1024 * 1024)
    }

    /// The folder handle under the recorder and the state directory: a file planted (or a link)
    /// where one is created is refused; an atomic replace swaps the link itself, never writing
    /// through it.
    @Test func directoryHandleRefusesPlantedNames() throws {
        let base = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(base) }
        try Data("victim".utf8).write(to: URL(fileURLWithPath: base + "/victim"))
        let folder = base + "/folder"
        let handle = try DirectoryHandle.open(folder, creating: 0o700)
        try FileManager.default.createSymbolicLink(atPath: folder + "/planted", withDestinationPath: base + "/victim")
        #expect(throws: FileError(path: folder + "/planted", problem: .exists, code: EEXIST)) {
            try handle.createFile("planted", contents: Array("x".utf8))
        }
        try handle.replaceAtomically("planted", contents: Array("new".utf8))
        #expect(try String(contentsOfFile: base + "/victim", encoding: .utf8) == "victim")
        let type = try FileManager.default.attributesOfItem(atPath: folder + "/planted")[.type] as? FileAttributeType
        #expect(type == .typeRegular)
        #expect(try String(contentsOfFile: folder + "/planted", encoding: .utf8) == "new")
        #expect(throws: FileError.self) { try handle.createFile("../escape", contents: []) }
    }
}

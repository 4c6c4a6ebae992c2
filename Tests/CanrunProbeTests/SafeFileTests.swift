import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// Hostile files given where canrun reads one (issue 11, "Hostile files crash the CLI and
/// replay"): each is refused by what it really is, before it is read, and never hangs.
struct SafeFileTests {
    /// A file made by `make` in a fresh folder, and the folder to remove.
    static func folder(_ make: (String) throws -> Void) throws -> String {
        let folder = try FixtureFiles.temporaryFolder()
        try make(folder)
        return folder
    }

    /// A FIFO named as a model file used to hang `canrun models show` for ever (the open waits
    /// for a writer). Now the O_PATH look refuses it: no open for reading, no hang.
    @Test func aFIFOModelFileIsRefusedAtOnce() throws {
        let folder = try Self.folder { #expect(mkfifo($0 + "/model.gguf", 0o644) == 0) }
        defer { FixtureFiles.remove(folder) }
        let started = Date()
        do {
            _ = try GGUFFiles.model(folder + "/model.gguf", table: GGUFFilesTests.table)
            Issue.record("a FIFO must be refused")
        } catch let error as FileError {
            #expect(error.problem == .notRegular(kind: "a FIFO"))
            #expect(error.description == folder + "/model.gguf is a FIFO, not a regular file")
            #expect(!error.description.contains("permission"))
        }
        // The same for a config.json.
        #expect(mkfifo(folder + "/config.json", 0o644) == 0)
        #expect(throws: FileError(path: folder + "/config.json", problem: .notRegular(kind: "a FIFO"))) {
            try HFConfigFile.read(folder + "/config.json")
        }
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// An 8 GiB sparse meminfo is refused by its size, before any byte is read (reading it
    /// would take seconds and 8 GiB of memory); the error says the size and the bound.
    @Test func aHugeSparseMeminfoIsNotRead() throws {
        let folder = try Self.folder { folder in
            try FileManager.default.createDirectory(atPath: folder + "/proc", withIntermediateDirectories: true)
            let fd = open(folder + "/proc/meminfo", O_WRONLY | O_CREAT, 0o644)
            #expect(fd >= 0)
            #expect(ftruncate(fd, 8 << 30) == 0)
            close(fd)
        }
        defer { FixtureFiles.remove(folder) }
        let path = folder + "/proc/meminfo"
        #expect(throws: FileError(path: path, problem: .tooLarge(size: 8 << 30, limit: .meminfo))) {
            try SafeFile.bytes(path, limit: .meminfo)
        }
        #expect(
            FileError(path: path, problem: .tooLarge(size: 8 << 30, limit: .meminfo)).description
                == path + " is 8.0 GiB, more than the 1 MiB a meminfo can be"
        )
        let started = Date()
        let readings = try ReplaySource.read(folder)
        #expect(readings.meminfo == nil)
        #expect(readings.warnings.contains { $0.contains("is 8.0 GiB, more than the 1 MiB a meminfo can be") })
        #expect(Date().timeIntervalSince(started) < 5)
    }

    /// procfs says 0 bytes whatever a file holds: the bound holds while reading too.
    @Test func theLimitHoldsWhileReadingProcfs() throws {
        let tiny = ReadLimit(bytes: 16, what: "a test file")
        #expect(throws: FileError(path: "/proc/self/status", problem: .tooLarge(size: nil, limit: tiny))) {
            try SafeFile.bytes("/proc/self/status", limit: tiny)
        }
        // Within the bound, the whole text (it starts "Name:", proc(5)).
        #expect(try SafeFile.text("/proc/self/status", limit: .meminfo).hasPrefix("Name:"))
    }

    /// Directories, sockets and character devices are named as what they are.
    @Test func otherKindsAreNamed() throws {
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        #expect(throws: FileError(path: folder, problem: .notRegular(kind: "a directory"))) {
            try SafeFile.bytes(folder, limit: .catalogFile)
        }
        #expect(throws: FileError(path: "/dev/null", problem: .notRegular(kind: "a character device"))) {
            try SafeFile.bytes("/dev/null", limit: .catalogFile)
        }
        #expect(throws: FileError(path: folder + "/absent", problem: .notFound, code: ENOENT)) {
            try SafeFile.bytes(folder + "/absent", limit: .catalogFile)
        }
    }

    /// A symbolic link as the last component is not followed, unless the user named the file
    /// (a model in the Hugging Face cache is a link into its blob store).
    @Test func aLinkIsFollowedOnlyWhenTheUserNamedIt() throws {
        let folder = try Self.folder { folder in
            try Data("[model]\n".utf8).write(to: URL(fileURLWithPath: folder + "/real.toml"))
            try FileManager.default.createSymbolicLink(atPath: folder + "/link.toml", withDestinationPath: "real.toml")
        }
        defer { FixtureFiles.remove(folder) }
        #expect(throws: FileError(path: folder + "/link.toml", problem: .symbolicLink, code: ELOOP)) {
            try SafeFile.bytes(folder + "/link.toml", limit: .catalogFile)
        }
        #expect(
            FileError(path: "x", problem: .symbolicLink).description == "x is a symbolic link (not followed)"
        )
        #expect(try SafeFile.text(folder + "/link.toml", limit: .catalogFile, followingLastLink: true) == "[model]\n")
    }

    /// errno keeps "permission denied" apart from everything else (root reads every file, so
    /// the mapping is what can be tested here).
    @Test func errnoSaysWhatIsWrong() {
        #expect(
            FileError(path: "/x", problem: .permissionDenied, code: EACCES).description
                == "/x cannot be read: permission denied (run as root, or make it readable to this user)"
        )
        #expect(
            FileError(path: "/x", problem: .system(step: "read it"), code: EIO).description
                == "/x could not read it: Input/output error (errno 5)"
        )
    }

    /// A catalog file that is a FIFO is skipped with its reason; the rest of the catalog loads.
    @Test func aHostileCatalogFileIsSkippedWithItsReason() throws {
        let folder = try Self.folder { #expect(mkfifo($0 + "/fifo.toml", 0o644) == 0) }
        defer { FixtureFiles.remove(folder) }
        let catalog = CatalogFiles.catalog(
            shippedDirectory: FixtureFiles.repository + "/config/models",
            extraDirectories: [folder]
        )
        #expect(catalog.problems.contains(folder + "/fifo.toml is a FIFO, not a regular file; file skipped"))
        #expect(catalog.model("llama-3.1-8b") != nil)
    }

    /// `canrun models show FILE.gguf` prints general.name: a GGUF whose name carries an OSC
    /// title sequence, a screen-clearing CSI and a right-to-left override prints three visible
    /// placeholders instead; the JSON keeps the exact name.
    @Test func escapeSequencesInAGGUFNameArePrintedSanitised() throws {
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: FixtureFiles.path("gguf/tiny-llama-f16.gguf"))))
        // Same length as the fixture's "tiny-llama-test" (15 bytes), so offsets stay valid.
        let original = Array("tiny-llama-test".utf8)
        let hostile = Array("\u{1B}]0;pwn\u{07}\u{1B}[2J\u{202E}".utf8)
        #expect(hostile.count == original.count)
        let at = try #require(
            (0...(bytes.count - original.count)).first { Array(bytes[$0..<($0 + original.count)]) == original }
        )
        bytes.replaceSubrange(at..<(at + original.count), with: hostile)
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        try Data(bytes).write(to: URL(fileURLWithPath: folder + "/hostile.gguf"))

        let model = try GGUFFiles.model(folder + "/hostile.gguf", table: GGUFFilesTests.table)
        let summary = ModelSummary(model, table: GGUFFilesTests.table)
        #expect(summary.name == "\u{1B}]0;pwn\u{07}\u{1B}[2J\u{202E}")
        let text = ModelText.detail(summary, spec: model.spec)
        #expect(text.split(separator: "\n").first == "\u{FFFD}\u{FFFD}\u{FFFD} (hostile)")
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" || $0.value == 0x202E })
        let json = String(decoding: try ProfileJSON.encoder().encode(summary), as: UTF8.self)
        #expect(json.contains(#""name" : "\u001b]0;pwn\u0007\u001b[2J‮""#))
    }
}

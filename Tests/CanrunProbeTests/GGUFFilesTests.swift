import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// GGUF files on disk: the buffered header reader and split models (gguf-split's
/// `-0000N-of-0000M` parts, written by gguf-py with split_max_tensors; see
/// scripts/make-gguf-fixtures.py).
struct GGUFFilesTests {
    static let table: QuantTable = {
        let text = (try? String(contentsOfFile: FixtureFiles.repository + "/config/quants.toml", encoding: .utf8)) ?? ""
        return try! QuantTable(toml: text)
    }()

    @Test func splitPartsAreFoundAndSummed() throws {
        let first = FixtureFiles.path("gguf/tiny-llama-split-00001-of-00003.gguf")
        #expect(
            GGUFFiles.splitParts(of: first).map { URL(fileURLWithPath: $0).lastPathComponent } == [
                "tiny-llama-split-00001-of-00003.gguf", "tiny-llama-split-00002-of-00003.gguf",
                "tiny-llama-split-00003-of-00003.gguf",
            ]
        )
        let model = try GGUFFiles.model(first, table: Self.table)
        let whole = try GGUFFiles.model(FixtureFiles.path("gguf/tiny-llama-q8_0.gguf"), table: Self.table)
        #expect(model.tensorCount == whole.tensorCount)
        #expect(model.weightsBytes == whole.weightsBytes)
        #expect(model.spec.numHiddenLayers == 2)
        #expect(model.spec.id == "tiny-llama-split")
    }

    @Test func aMissingPartIsAClearError() throws {
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        for n in [1, 2] {
            let name = "tiny-llama-split-0000\(n)-of-00003.gguf"
            try FileManager.default.copyItem(atPath: FixtureFiles.path("gguf/" + name), toPath: folder + "/" + name)
        }
        #expect(throws: (any Error).self) {
            try GGUFFiles.model(folder + "/tiny-llama-split-00001-of-00003.gguf", table: Self.table)
        }
    }

    /// The file reader and the in-memory reader see the same header.
    @Test func fileAndBufferAgree() throws {
        let path = FixtureFiles.path("gguf/tiny-llama-f16.gguf")
        let fromFile = try GGUFFiles.header(path, table: Self.table)
        var reader = GGUFReader(
            source: GGUFBuffer(Array(try Data(contentsOf: URL(fileURLWithPath: path)))),
            table: Self.table
        )
        #expect(try reader.read() == fromFile)
    }

    @Test func notAGGUFFile() {
        #expect(throws: GGUFError.notGGUF) {
            try GGUFFiles.header(FixtureFiles.path("gguf/tiny-llama-f16.expected.json"), table: Self.table)
        }
    }
}

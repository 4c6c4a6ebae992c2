import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// Local discovery over hand-built stores laid out as each tool lays them out.
struct LocalModelsTests {
    @Test func findsModelsInEveryStore() throws {
        let home = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(home) }
        let fm = FileManager.default
        let gguf = FixtureFiles.path("gguf/tiny-llama-q8_0.gguf")
        let ggufSize = Int64(try Data(contentsOf: URL(fileURLWithPath: gguf)).count)

        // Ollama: manifests/registry.ollama.ai/library/tiny/latest → blobs/sha256-<digest>
        let ollama = home + "/.ollama/models"
        try fm.createDirectory(atPath: ollama + "/blobs", withIntermediateDirectories: true)
        try fm.copyItem(atPath: gguf, toPath: ollama + "/blobs/sha256-abc123")
        let manifest = ollama + "/manifests/registry.ollama.ai/library/tiny"
        try fm.createDirectory(atPath: manifest, withIntermediateDirectories: true)
        try Data(
            #"{"layers": [{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:abc123", "size": 1}]}"#
                .utf8
        ).write(to: URL(fileURLWithPath: manifest + "/latest"))

        // Hugging Face hub cache: snapshot files are symlinks into blobs/.
        let repo = home + "/.cache/huggingface/hub/models--Org--Tiny-Model"
        try fm.createDirectory(atPath: repo + "/blobs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repo + "/snapshots/rev1", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 1000).write(to: URL(fileURLWithPath: repo + "/blobs/weights"))
        try fm.createSymbolicLink(
            atPath: repo + "/snapshots/rev1/model.safetensors",
            withDestinationPath: "../../blobs/weights"
        )
        try Data("{}".utf8).write(to: URL(fileURLWithPath: repo + "/snapshots/rev1/config.json"))

        // LM Studio: models/<publisher>/<repo>/<file>.gguf
        let lmstudio = home + "/.lmstudio/models/pub/tiny-GGUF"
        try fm.createDirectory(atPath: lmstudio, withIntermediateDirectories: true)
        try fm.copyItem(atPath: gguf, toPath: lmstudio + "/tiny-Q8_0.gguf")

        let models = LocalModels.discover(.standard(environment: ["HOME": home]), table: GGUFFilesTests.table)
        #expect(models.map(\.source) == ["ollama", "huggingface", "lmstudio"])
        #expect(models[0].name == "tiny:latest")
        #expect(models[0].bytes == ggufSize)
        #expect(models[0].quant == "Q8_0")
        #expect(models[1].name == "Org/Tiny-Model")
        #expect(models[1].format == "safetensors")
        #expect(models[1].bytes == 1000)
        #expect(models[2].name == "tiny-Q8_0")
        #expect(models[2].quant == "Q8_0")
    }

    @Test func emptyOrMissingStoresFindNothing() throws {
        let home = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(home) }
        #expect(LocalModels.discover(.standard(environment: ["HOME": home]), table: GGUFFilesTests.table).isEmpty)
    }
}

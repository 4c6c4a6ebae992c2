import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// llama.cpp itself loads and runs the GGUFs canrun writes (`SyntheticModel`, `SyntheticGGUFFile`):
/// llama-bench, built by scripts/build-llama-cpp.sh (CI builds it and sets CANRUN_REQUIRE_LLAMA=1,
/// so there a missing llama-bench fails instead of skipping).
struct LlamaCppLoadsSyntheticModelsTests {
    static let environment = ProcessInfo.processInfo.environment
    static let bench = try? LlamaBenchRunner.locate(explicit: nil, environment: environment)
    static let required = environment["CANRUN_REQUIRE_LLAMA"] == "1"

    @Test func llamaBenchIsHereWhereRequired() {
        if Self.required { #expect(Self.bench != nil, "CANRUN_REQUIRE_LLAMA=1 but no llama-bench was found") }
    }

    /// A build from scripts/build-llama-cpp.sh reports commit `unknown` (no git in an sdist);
    /// the script's `VERSION` file beside `bin/` names it, and nothing else is taken for one.
    @Test func theScriptsVersionFileNamesTheCommit() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-llama-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: folder.appendingPathComponent("bin"),
            withIntermediateDirectories: true
        )
        defer { try? FileManager.default.removeItem(at: folder) }
        let bench = folder.appendingPathComponent("bin/llama-bench").path
        #expect(LlamaBenchRunner.recordedCommit(of: bench) == nil)
        let version = folder.appendingPathComponent("VERSION")
        try "llama-cpp-python 0.3.36\nllama.cpp 0c1e57098\n".write(to: version, atomically: true, encoding: .utf8)
        #expect(LlamaBenchRunner.recordedCommit(of: bench) == "0c1e57098")
        try "llama.cpp $(rm -rf /)\n".write(to: version, atomically: true, encoding: .utf8)
        #expect(LlamaBenchRunner.recordedCommit(of: bench) == nil)
    }

    static func quants() throws -> QuantTable {
        try QuantTable(toml: String(contentsOfFile: FixtureFiles.repository + "/config/quants.toml", encoding: .utf8))
    }

    /// Every type canrun writes, dense and with experts: llama-bench loads the file, runs a
    /// prompt and a generation, and names the file type canrun wrote.
    @Test(
        .enabled(if: bench != nil),
        arguments: [
            ("F16", 0, "F16"), ("BF16", 0, "BF16"), ("Q8_0", 0, "Q8_0"), ("Q4_0", 0, "Q4_0"),
            ("Q4_K", 0, "Q4_K - Small"),
            ("Q6_K", 0, "Q6_K"), ("Q4_K", 4, "Q4_K - Small"),
        ]
    )
    func llamaBenchRunsIt(_ type: String, _ experts: Int, _ fileType: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-synth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = SyntheticModel(
            name: "synthetic",
            layers: 2,
            embedding: 256,
            feedForward: 512,
            heads: 4,
            kvHeads: 2,
            vocabulary: 1000,
            experts: experts,
            expertsUsed: experts > 0 ? 2 : 0,
            weightType: type
        )
        let path = folder.appendingPathComponent("synthetic-\(type).gguf").path
        let size = try SyntheticGGUFFile.write(try model.header(quants: Self.quants()), to: path)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64 == size)
        let output = try LlamaBenchRunner.output(
            try #require(Self.bench),
            ["-m", path, "-p", "32", "-n", "8", "-r", "1", "-t", "1", "-o", "json"],
            timeout: 600
        )
        let results = try LlamaBenchResult.parse(output)
        #expect(results.map(\.test) == ["pp32", "tg8"])
        #expect(results.allSatisfy { $0.tokensPerS > 0 })
        #expect(results.first?.modelType.hasSuffix(fileType) == true, "\(results.first?.modelType ?? "")")
    }
}

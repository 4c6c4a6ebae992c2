import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// The `canrun` binary's promise to scripts (DESIGN §5.1): `check` exits 0 when the model fits
/// and meets the goal, 1 when it does not, and 2 with one clear line on stderr for bad input —
/// usage errors included (ArgumentParser's own exit would be 64), and hostile models too.
/// Every case asks about a preset machine, so nothing depends on this one. Needs the binary
/// built (`swift build --build-tests`, as CI does).
struct CLIExitStatusTests {
    static let binary = ServerFixtures.repository + "/.build/debug/canrun"
    static var built: Bool { FileManager.default.isExecutableFile(atPath: binary) }

    /// Runs canrun with `arguments`; its exit status and standard error.
    static func run(_ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ServerFixtures.environment.merging(["CANRUN_SOCKET": "/nonexistent/canrun.sock"]) {
            a,
            _ in
            a
        }
        let stderr = Pipe()
        process.standardError = stderr
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    static let preset = ["--preset", "rtx-4090"]

    @Test(
        .enabled(if: built),
        arguments: [
            (["check", "llama-3.1-8b", "--quant", "Q4_K_M"] + preset, 0, "fits"),
            (["check", "llama-3.1-405b", "--quant", "Q8_0"] + preset, 1, "does not fit"),
            (["check", "llama-3.1-8b", "--kv", "zz"] + preset, 2, "unknown KV cache type 'zz'"),
            (["check", "llama-3.1-8b", "--bogus"], 2, "Unknown option '--bogus'"),
            (["fit", "llama-3.1-8b", "--ctx", "abc"] + preset, 2, "The value 'abc' is invalid"),
            (["check", "lama-3.1-8b"] + preset, 2, "did you mean llama-3.1-8b"),
            (["check", String(repeating: "x", count: 15_000)] + preset, 2, "15000 characters is no model"),
            (["check", "llama-3.1-8b", "--quant", "Q4_K_M", "--ctx", "99999999999"] + preset, 2, "is impossible"),
            (["check", "llama-3.1-8b", "--kv", "q8_0", "--flash-attn", "off"] + preset, 2, "needs flash attention"),
            (["recommend", "--ctx", "0", "--replay", "/nonexistent"], 2, "--ctx 0 is no context"),
            (["check", "llama-3.1-70b", "--min-tps", "500"] + preset, 1, "decodes"),
            (["config", "check", "--config", "/nonexistent"], 2, "no such folder"),
            (["check", "llama-3.1-8b", "--gpu", "Imaginary 9000"] + preset, 2, "is not in config/gpus.toml"),
            (["check", "llama-3.1-8b", "--ram", "lots"] + preset, 2, "--ram lots is no size"),
            (["check", "llama-3.1-8b", "--ram", "900000T"] + preset, 2, "the what-if flags describe no machine"),
            (["check", "llama-3.3-70b", "--quant", "Q4_K_M", "--gpu", "GeForce RTX 4090"] + preset, 0, "fits"),
            (["check", "./no-such-config.json"] + preset, 2, "no such file: ./no-such-config.json"),
            (["check", "/"] + preset, 2, "no config.json or .gguf in /"),
        ]
    )
    func exitStatus(_ arguments: [String], _ status: Int32, _ message: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status == status, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    /// An architecture the catalog does not hold is answered from its shapes, with a warning
    /// that says so (issue 13), not a confident answer.
    @Test(.enabled(if: built))
    func anUnknownArchitectureIsAnsweredWithAWarning() throws {
        let folder = NSTemporaryDirectory() + "canrun-cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let body =
            #"{"architectures": ["FooBarForCausalLM"], "num_hidden_layers": 32, "hidden_size": 4096, "intermediate_size": 11008, "num_attention_heads": 32, "vocab_size": 32000, "max_position_embeddings": 4096}"#
        try Data(body.utf8).write(to: URL(fileURLWithPath: folder + "/config.json"))
        let result = try Self.run(["fit", folder, "--quant", "Q4_K_M"] + Self.preset)
        #expect(result.status == 0)
        #expect(
            result.stderr.contains("FooBarForCausalLM is no architecture canrun's catalog holds"),
            "\(result.stderr)"
        )
    }

    /// A hostile config.json (issue 11: heads 0 crashed the daemon with a division by zero) is
    /// exit 2 naming the field.
    @Test(.enabled(if: built))
    func hostileConfigFileIsExit2() throws {
        let folder = NSTemporaryDirectory() + "canrun-cli-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = folder + "/config.json"
        let body =
            #"{"num_hidden_layers": 32, "hidden_size": 4096, "num_attention_heads": 0, "vocab_size": 128256, "max_position_embeddings": 8192}"#
        try Data(body.utf8).write(to: URL(fileURLWithPath: config))
        let result = try Self.run(["check", config, "--quant", "Q4_K_M"] + Self.preset)
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("num_attention_heads is 0; it must be an integer from 1 to 2048"),
            "\(result.stderr)"
        )
    }
}

/// `canrun --version` and `canrund --version` (issue 16): the release, the commit of this
/// checkout (its .git beside config/), and the digest of the data they answer with.
struct VersionTests {
    @Test(.enabled(if: CLIExitStatusTests.built && ServerFixtures.canrundBuilt), arguments: ["canrun", "canrund"])
    func versionSaysTheCommitAndTheData(_ program: String) throws {
        let binary = ServerFixtures.repository + "/.build/debug/" + program
        let said = try ServerFixtures.run(binary, ["--version"], input: "")
        #expect(said.status == 0, "\(said.errors)")
        let lines = said.output.split(separator: "\n").map(String.init)
        let expected = BuildInfoReader.read(environment: ["CANRUN_DATA_DIR": ServerFixtures.repository + "/config"])
        #expect(lines.count == 3)
        #expect(lines.first == "\(program) \(CanrunVersion.current)")
        let head = try String(contentsOfFile: ServerFixtures.repository + "/.git/HEAD", encoding: .utf8)
        if let commit = expected.commit {
            #expect(lines[1].hasPrefix("commit \(commit.prefix(12))"), "\(lines)")
            #expect(head.contains(commit) || head.hasPrefix("ref: "))
        }
        #expect(lines[2].hasPrefix("data \(expected.data ?? "none")"), "\(lines)")
    }
}

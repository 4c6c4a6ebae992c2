import CanrunCore
import Foundation
import Testing

/// llama-bench's JSON as canrun reads it (a run recorded here: Tests/Fixtures/llama-bench), the
/// outputs it refuses, and the launch flags it turns into llama-bench's spelling.
struct LlamaBenchTests {
    @Test func readsARecordedRun() throws {
        let results = try LlamaBenchResult.parse(try CoreFixtures.data("llama-bench/q4_0-depth.json"))
        #expect(results.map(\.test) == ["pp64", "tg16", "pp64 @ d256", "tg16 @ d256"])
        #expect(results.map(\.tokensPerS) == [362.413603, 116.83501, 327.660893, 77.569783])
        #expect(results.map(\.isDecode) == [false, true, false, true])
        #expect(results[0].stddevTokensPerS == 6.507333)
        #expect(results[0].threads == 2)
        #expect(results[0].buildCommit == "unknown")
        #expect(results[0].modelType == "llama ?B Q4_0")
        #expect(results[0].backends == "CPU")
    }

    static func one(_ fields: String) -> Data {
        Data("[{\"n_prompt\": 512, \"n_gen\": 0, \(fields)}]".utf8)
    }

    /// Output canrun cannot compare is an error that says what it saw, never arithmetic on it.
    @Test(arguments: [
        ("not json", "is not its JSON"),
        ("[]", "ran no test"),
        ("[{\"n_prompt\": 512, \"n_gen\": 128, \"avg_ts\": 10}]", "cannot compare"),
        ("[{\"n_prompt\": 0, \"n_gen\": 0, \"avg_ts\": 10}]", "cannot compare"),
        ("[{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": -3}]", "cannot compare"),
        ("[{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 1e999}]", "is not its JSON"),
        ("[{\"n_prompt\": 512, \"n_gen\": 0, \"n_depth\": 9223372036854775807, \"avg_ts\": 10}]", "cannot compare"),
        ("[{\"n_prompt\": -1, \"n_gen\": 128, \"avg_ts\": 10}]", "cannot compare"),
        ("[{\"n_prompt\": 512, \"n_gen\": 0, \"n_threads\": 100000, \"avg_ts\": 10}]", "cannot compare"),
        ("[{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 10, \"stddev_ts\": -1}]", "cannot compare"),
        ("[{\"n_gen\": 128, \"avg_ts\": 10}]", "is not its JSON"),
    ])
    func refusesWhatItCannotCompare(_ text: String, _ message: String) {
        do {
            let results = try LlamaBenchResult.parse(Data(text.utf8))
            Issue.record("read \(results)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
        }
    }

    @Test func refusesMoreTestsThanAnyRunHas() {
        let many =
            "["
            + Array(repeating: "{\"n_prompt\": 512, \"n_gen\": 0, \"avg_ts\": 10}", count: 1025)
            .joined(separator: ",") + "]"
        #expect(throws: LlamaBenchResult.ParseError.self) { try LlamaBenchResult.parse(Data(many.utf8)) }
    }

    static let current = LlamaBenchPlan.Dialect(
        help: """
              -fa, --flash-attn <on|off|auto>                   (default: auto)
              -lm, --load-mode <auto|none|mmap|mlock|mmap+mlock|dio> (default: auto)
            """
    )
    static let older = LlamaBenchPlan.Dialect(help: "  -fa, --flash-attn <0|1>\n  -mmp, --mmap <0|1>\n")

    @Test func dialectsComeFromTheHelpText() {
        #expect(Self.current == .init(flashAttentionWords: true, loadMode: true))
        #expect(Self.older == .init(flashAttentionWords: false, loadMode: false))
    }

    /// Every flag canrun's placements write, in llama-bench's spelling; the llama-server-only
    /// ones are left out and named.
    @Test func launchFlagsBecomeLlamaBenchArguments() {
        let flags =
            "-ngl 99 --n-cpu-moe 19 --no-mmap -c 32768 -ctk q8_0 -ctv q8_0 --parallel 4 -t 8 --numa distribute "
            + "-sm layer --tensor-split 24,48 --rope-scaling yarn --rope-scale 4 --yarn-orig-ctx 32768 -fa off --bogus"
        let plan = LlamaBenchPlan(
            modelPath: "/m.gguf",
            launchFlags: flags,
            flashAttention: false,
            depths: [0, 4096],
            repetitions: 3,
            dialect: Self.current
        )
        #expect(
            plan.arguments == [
                "-m", "/m.gguf", "-p", "512", "-n", "128", "-d", "0,4096", "-fa", "off", "-ngl", "99", "-ncmoe", "19",
                "-lm", "none", "-ctk", "q8_0", "-ctv", "q8_0", "-t", "8", "--numa", "distribute", "-sm", "layer", "-ts",
                "24/48", "-r", "3", "-o", "json",
            ]
        )
        #expect(
            plan.omitted == [
                "-c 32768: llama-bench sizes its context to each test", "--parallel 4: llama-bench runs one sequence",
                "--rope-scaling yarn: RoPE scaling does not change the work per token",
                "--rope-scale 4: RoPE scaling does not change the work per token",
                "--yarn-orig-ctx 32768: RoPE scaling does not change the work per token",
                "--bogus: not a llama-bench option",
            ]
        )
        let old = LlamaBenchPlan(
            modelPath: "/m.gguf",
            launchFlags: "-ngl 0 --no-mmap",
            flashAttention: true,
            depths: [0],
            repetitions: nil,
            dialect: Self.older
        )
        #expect(
            old.arguments == [
                "-m", "/m.gguf", "-p", "512", "-n", "128", "-d", "0", "-fa", "1", "-ngl", "0", "-mmp", "0", "-o",
                "json",
            ]
        )
    }
}

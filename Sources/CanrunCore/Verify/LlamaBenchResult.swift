import Foundation

/// One test of `llama-bench -o json` (tools/llama-bench: `json_printer`, one object per test):
/// what ran and its mean speed. Fields older builds lack (`n_depth` before b5000) read as 0.
public struct LlamaBenchResult: Codable, Sendable, Equatable {
    public var buildCommit: String
    public var buildNumber: Int
    public var modelType: String
    public var backends: String
    public var threads: Int
    public var promptTokens: Int
    public var generatedTokens: Int
    public var depth: Int
    /// Tokens per second: the mean over the repetitions, and its standard deviation.
    public var tokensPerS: Double
    public var stddevTokensPerS: Double

    enum CodingKeys: String, CodingKey {
        case buildCommit = "build_commit"
        case buildNumber = "build_number"
        case modelType = "model_type"
        case backends
        case threads = "n_threads"
        case promptTokens = "n_prompt"
        case generatedTokens = "n_gen"
        case depth = "n_depth"
        case tokensPerS = "avg_ts"
        case stddevTokensPerS = "stddev_ts"
    }

    public init(
        buildCommit: String,
        buildNumber: Int,
        modelType: String,
        backends: String,
        threads: Int,
        promptTokens: Int,
        generatedTokens: Int,
        depth: Int,
        tokensPerS: Double,
        stddevTokensPerS: Double
    ) {
        self.buildCommit = buildCommit
        self.buildNumber = buildNumber
        self.modelType = modelType
        self.backends = backends
        self.threads = threads
        self.promptTokens = promptTokens
        self.generatedTokens = generatedTokens
        self.depth = depth
        self.tokensPerS = tokensPerS
        self.stddevTokensPerS = stddevTokensPerS
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        buildCommit = try c.decodeIfPresent(String.self, forKey: .buildCommit) ?? "unknown"
        buildNumber = try c.decodeIfPresent(Int.self, forKey: .buildNumber) ?? 0
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? ""
        backends = try c.decodeIfPresent(String.self, forKey: .backends) ?? ""
        threads = try c.decodeIfPresent(Int.self, forKey: .threads) ?? 0
        promptTokens = try c.decode(Int.self, forKey: .promptTokens)
        generatedTokens = try c.decode(Int.self, forKey: .generatedTokens)
        depth = try c.decodeIfPresent(Int.self, forKey: .depth) ?? 0
        tokensPerS = try c.decode(Double.self, forKey: .tokensPerS)
        stddevTokensPerS = try c.decodeIfPresent(Double.self, forKey: .stddevTokensPerS) ?? 0
    }

    /// `pp512`, `tg128`, with `@d4096` after a depth: llama-bench's own test names.
    public var test: String {
        let base = generatedTokens > 0 && promptTokens == 0 ? "tg\(generatedTokens)" : "pp\(promptTokens)"
        return depth > 0 ? "\(base) @ d\(depth)" : base
    }

    public var isDecode: Bool { generatedTokens > 0 && promptTokens == 0 }

    /// Why llama-bench's output was not read.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The most tests one run may report, and the bounds each test's numbers must keep before
    /// they reach canrun's arithmetic: token counts and depths within a context canrun takes
    /// (`ModelBounds.context`), threads up to 4,096, speeds finite.
    public static let maxTests = 1024
    static let maxThreads = 4096

    /// The tests of one `llama-bench -o json` run; each must be a prompt or a generation test
    /// with a positive speed and counts within bounds (`maxTests`).
    public static func parse(_ data: Data) throws(ParseError) -> [LlamaBenchResult] {
        let results: [LlamaBenchResult]
        do {
            results = try JSONDecoder().decode([LlamaBenchResult].self, from: data)
        } catch {
            let head = String(decoding: data.prefix(200), as: UTF8.self)
            throw ParseError(description: "llama-bench's output is not its JSON (-o json): \(error); it began: \(head)")
        }
        guard !results.isEmpty else { throw ParseError(description: "llama-bench ran no test") }
        guard results.count <= maxTests else {
            throw ParseError(
                description: "llama-bench reported \(results.count) tests; canrun reads at most \(maxTests)"
            )
        }
        let tokens = 0...ModelBounds.context.upperBound
        for r in results {
            let counts =
                tokens.contains(r.promptTokens) && tokens.contains(r.generatedTokens) && tokens.contains(r.depth)
            guard r.tokensPerS.isFinite, r.tokensPerS > 0, r.stddevTokensPerS.isFinite, r.stddevTokensPerS >= 0,
                counts, (r.promptTokens > 0) != (r.generatedTokens > 0), (0...maxThreads).contains(r.threads)
            else {
                throw ParseError(
                    description:
                        "llama-bench reported a test canrun cannot compare (prompt \(r.promptTokens), generated \(r.generatedTokens), depth \(r.depth), \(r.threads) threads, \(r.tokensPerS) ± \(r.stddevTokensPerS) t/s)"
                )
            }
        }
        return results
    }
}

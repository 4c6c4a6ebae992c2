/// The `llama-bench` command that measures what canrun recommends: the fit's llama.cpp launch
/// flags in llama-bench's spelling, a 512-token prompt and 128 generated tokens at each depth,
/// JSON out. llama-server flags llama-bench has no use for are left out and said so: `-c` (it
/// sizes its context to each test), `--parallel` (one sequence), the RoPE scaling flags (they do
/// not change the work per token).
public struct LlamaBenchPlan: Sendable, Equatable {
    /// How the llama-bench at hand spells two options that changed (from its `--help`).
    public struct Dialect: Sendable, Equatable {
        /// `-fa on|off` (current) rather than `-fa 1|0` (before mid-2025).
        public var flashAttentionWords: Bool
        /// `-lm none` (`--load-mode`, current) rather than `-mmp 0` for a file read, not mapped.
        public var loadMode: Bool

        public init(flashAttentionWords: Bool, loadMode: Bool) {
            self.flashAttentionWords = flashAttentionWords
            self.loadMode = loadMode
        }

        /// The dialect `llama-bench --help` describes.
        public init(help: String) {
            flashAttentionWords = help.contains("--flash-attn <on|off")
            loadMode = help.contains("--load-mode")
        }
    }

    public var arguments: [String]
    /// The launch flags left out, each with why.
    public var omitted: [String]

    public static let promptTokens = 512
    public static let generatedTokens = 128

    /// - Parameters:
    ///   - launchFlags: the fit's llama.cpp flags (`FitReport.launch["llama.cpp"]`).
    ///   - depths: KV depths to test at (llama-bench `-d`); 0 first.
    ///   - repetitions: `-r`; nil keeps llama-bench's 5.
    public init(
        modelPath: String,
        launchFlags: String,
        flashAttention: Bool,
        depths: [Int],
        repetitions: Int?,
        dialect: Dialect,
        promptTokens: Int = LlamaBenchPlan.promptTokens,
        generatedTokens: Int = LlamaBenchPlan.generatedTokens
    ) {
        var args = ["-m", modelPath, "-p", String(promptTokens), "-n", String(generatedTokens)]
        args += ["-d", depths.map(String.init).joined(separator: ",")]
        args += ["-fa", dialect.flashAttentionWords ? (flashAttention ? "on" : "off") : (flashAttention ? "1" : "0")]
        var omitted: [String] = []
        let words = launchFlags.split(separator: " ").map(String.init)
        var i = 0
        func value() -> String? {
            i += 1
            return i < words.count ? words[i] : nil
        }
        while i < words.count {
            let flag = words[i]
            switch flag {
            case "-ngl", "-ot", "-ctk", "-ctv", "-t", "-sm", "-mg", "--numa":
                if let v = value() { args += [flag, v] }
            case "--n-cpu-moe":
                if let v = value() { args += ["-ncmoe", v] }
            case "--tensor-split":
                if let v = value() { args += ["-ts", v.replacingOccurrences(of: ",", with: "/")] }
            case "--no-mmap":
                args += dialect.loadMode ? ["-lm", "none"] : ["-mmp", "0"]
            case "--no-repack":
                args += ["--repack", "0"]
            case "-fa":
                _ = value()
            case "-c":
                if let v = value() { omitted.append("-c \(v): llama-bench sizes its context to each test") }
            case "--parallel":
                if let v = value() { omitted.append("--parallel \(v): llama-bench runs one sequence") }
            case "--rope-scaling", "--rope-scale", "--yarn-orig-ctx":
                if let v = value() { omitted.append("\(flag) \(v): RoPE scaling does not change the work per token") }
            default:
                omitted.append("\(flag): not a llama-bench option")
            }
            i += 1
        }
        if let repetitions { args += ["-r", String(repetitions)] }
        args += ["-o", "json"]
        self.arguments = args
        self.omitted = omitted
    }
}

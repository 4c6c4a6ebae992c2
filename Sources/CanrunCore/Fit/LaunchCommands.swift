/// How to start the answered placement, as commands a person pastes (issue 13): a whole
/// `llama-server` line (under `numactl` where the NUMA plan asks for it) and Ollama's
/// equivalent settings. Encoded in the report as `launch_commands`.
public struct LaunchCommands: Codable, Sendable, Equatable {
    /// `llama-server -hf REPO:QUANT -c … -ngl …` (or `-m FILE` for a GGUF file, or a file name to
    /// download when the catalog knows no GGUF repository), with the flags the placement needs.
    public var llamaServer: String
    public var ollama: Ollama

    /// Ollama runs llama.cpp with its own names: `num_ctx` and `num_gpu` (layers offloaded) as
    /// model parameters (a Modelfile's `PARAMETER` lines, or the API's `options`), flash
    /// attention and the KV cache type as server environment variables.
    public struct Ollama: Codable, Sendable, Equatable {
        public var numCtx: Int
        public var numGpu: Int
        /// `OLLAMA_FLASH_ATTENTION`, `OLLAMA_KV_CACHE_TYPE`, `OLLAMA_NUM_PARALLEL` for `ollama serve`
        /// (Ollama's `num_ctx` is per sequence: it multiplies the cache by the parallel count).
        public var environment: [String: String]

        /// `PARAMETER num_ctx 8192` and `PARAMETER num_gpu 33`, one per line.
        public var modelfile: String { "PARAMETER num_ctx \(numCtx)\nPARAMETER num_gpu \(numGpu)" }
    }

    /// - Parameters:
    ///   - model: where llama-server gets the weights: `-hf REPO:QUANT`, `-m FILE`, …
    ///   - flags: the placement's llama.cpp flags and the context (`PlacementCandidate.launch`).
    ///   - numactl: `numactl` options to run under, when the NUMA plan asks for them.
    public init(
        model: String,
        flags: String,
        numactl: String?,
        context: Int,
        gpuLayers: Int,
        kvType: String,
        flashAttention: Bool,
        parallel: Int = 1
    ) {
        let server = ["llama-server", model, flags].filter { !$0.isEmpty }.joined(separator: " ")
        llamaServer = numactl.map { "numactl \($0) \(server)" } ?? server
        var environment = ["OLLAMA_FLASH_ATTENTION": flashAttention ? "1" : "0"]
        if kvType != "f16" { environment["OLLAMA_KV_CACHE_TYPE"] = kvType }
        if parallel > 1 { environment["OLLAMA_NUM_PARALLEL"] = String(parallel) }
        ollama = Ollama(numCtx: context / max(1, parallel), numGpu: gpuLayers, environment: environment)
    }

    /// llama-server's model argument for `quant` of `model`: the catalog's GGUF repository
    /// (`-hf OWNER/REPO:QUANT`, downloaded on first use), else a local file named for it.
    public static func modelArgument(_ model: ModelSpec, quant: String, file: String? = nil) -> String {
        if let file { return "-m " + shellQuoted(file) }
        if let repo = model.ggufRepo { return "-hf " + shellQuoted("\(repo):\(quant)") }
        return "-m " + shellQuoted("\(model.id)-\(quant).gguf")
    }

    /// `text` as one shell word: as it is when it holds only safe characters, else in single
    /// quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:+=@%,".contains($0) }
        return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

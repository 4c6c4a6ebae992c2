import Foundation

/// What one poll of a model server read: each loaded model, what the server says of it (its
/// file or name, quantization, context, memory) and its cumulative token counters. Rates come
/// from two readings (`ObservedRates`). Pure: the texts come in, the daemon fetches them.
public struct ServerReading: Sendable, Equatable {
    /// One model the server has loaded.
    public struct LoadedModel: Sendable, Equatable {
        /// The name the server gives it: llama-server's file path, Ollama's `llama3.1:8b`, vLLM's
        /// `model_name` (a Hugging Face repository).
        public var name: String
        /// The GGUF file, when the server says it (llama-server).
        public var file: String?
        /// The quantization the server reports (`Q4_K_M`, `Q4_0`).
        public var quant: String?
        /// Context per sequence and sequences served at once, when reported.
        public var context: Int?
        public var parallel: Int?
        /// Memory the model holds (Ollama's `size`), and of it on GPUs (`size_vram`).
        public var memoryBytes: Int64?
        public var gpuMemoryBytes: Int64?
        public var counters: TokenCounters?

        public init(name: String) { self.name = name }
    }

    /// Cumulative counters: tokens and the seconds spent on them, for prompts and generation.
    /// Generation may instead count per-token latencies (vLLM: `tokenIntervals` intervals whose
    /// seconds sum to `generatedSeconds`).
    public struct TokenCounters: Sendable, Equatable {
        public var promptTokens: Double?
        public var promptSeconds: Double?
        public var generatedTokens: Double?
        public var generatedSeconds: Double?

        public init(
            promptTokens: Double? = nil,
            promptSeconds: Double? = nil,
            generatedTokens: Double? = nil,
            generatedSeconds: Double? = nil
        ) {
            self.promptTokens = promptTokens
            self.promptSeconds = promptSeconds
            self.generatedTokens = generatedTokens
            self.generatedSeconds = generatedSeconds
        }
    }

    public var models: [LoadedModel]

    public init(models: [LoadedModel]) { self.models = models }

    /// What a server said, within what canrun's arithmetic takes: a context or slot count out
    /// of `ModelBounds`, a negative or absurd memory, or a name past 512 characters is dropped
    /// (nil), so a hostile or broken server reaches the fit engine only with values it accepts.
    static func bounded(_ model: LoadedModel) -> LoadedModel? {
        guard !model.name.isEmpty, model.name.count <= 512 else { return nil }
        var m = model
        if let context = m.context, !ModelBounds.context.contains(context) { m.context = nil }
        if let parallel = m.parallel, !ModelBounds.parallel.contains(parallel) { m.parallel = nil }
        let memory: ClosedRange<Int64> = 0...(1 << 50)
        if let bytes = m.memoryBytes, !memory.contains(bytes) { m.memoryBytes = nil }
        if let bytes = m.gpuMemoryBytes, !memory.contains(bytes) { m.gpuMemoryBytes = nil }
        if let quant = m.quant, quant.count > 32 { m.quant = nil }
        return m
    }

    /// Why a server's answer could not be read.
    public struct ReadError: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// llama-server: `/metrics` (needs `--metrics`) and `/props`. One model: the file `/props`
    /// names, at its per-slot context and slot count.
    public static func llamaServer(metrics: String, props: Data) throws(ReadError) -> ServerReading {
        struct Props: Decodable {
            struct Settings: Decodable { var nCtx: Int? }
            var modelPath: String?
            var modelFtype: String?
            var totalSlots: Int?
            var defaultGenerationSettings: Settings?
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let props = try? decoder.decode(Props.self, from: props), let path = props.modelPath, !path.isEmpty
        else { throw ReadError("/props names no model_path: is this llama-server?") }
        let samples = PrometheusText.samples(metrics)
        guard samples.contains(where: { $0.name.hasPrefix("llamacpp:") }) else {
            throw ReadError("/metrics has no llamacpp: samples: start llama-server with --metrics")
        }
        var model = LoadedModel(name: path)
        model.file = path
        model.quant = props.modelFtype
        model.context = props.defaultGenerationSettings?.nCtx
        model.parallel = props.totalSlots
        model.counters = TokenCounters(
            promptTokens: PrometheusText.sum(samples, "llamacpp:prompt_tokens_total"),
            promptSeconds: PrometheusText.sum(samples, "llamacpp:prompt_seconds_total"),
            generatedTokens: PrometheusText.sum(samples, "llamacpp:tokens_predicted_total"),
            generatedSeconds: PrometheusText.sum(samples, "llamacpp:tokens_predicted_seconds_total")
        )
        return ServerReading(models: [model].compactMap(bounded))
    }

    /// Ollama: `/api/ps`, the models loaded now with their memory, quantization and context.
    public static func ollama(ps: Data) throws(ReadError) -> ServerReading {
        struct PS: Decodable {
            struct Model: Decodable {
                struct Details: Decodable { var quantizationLevel: String? }
                var name: String?
                var model: String?
                var size: Int64?
                var sizeVram: Int64?
                var contextLength: Int?
                var details: Details?
            }
            var models: [Model]?
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let ps = try? decoder.decode(PS.self, from: ps), let loaded = ps.models else {
            throw ReadError("/api/ps is not Ollama's list of running models")
        }
        return ServerReading(
            models: loaded.prefix(256).compactMap { entry in
                guard let name = entry.name ?? entry.model, !name.isEmpty else { return nil }
                var model = LoadedModel(name: name)
                model.quant = entry.details?.quantizationLevel
                model.context = entry.contextLength
                model.memoryBytes = entry.size
                model.gpuMemoryBytes = entry.sizeVram
                return bounded(model)
            }
        )
    }

    /// vLLM: `/metrics`, per `model_name`: the prompt tokens computed in prefill
    /// (`vllm:request_prefill_kv_computed_tokens`, without prefix-cache hits; before it existed
    /// `vllm:request_prompt_tokens`) and the prefill seconds, both recorded as each request
    /// finishes; and the inter-token latency histogram (`vllm:inter_token_latency_seconds`,
    /// before v0.10 `vllm:time_per_output_token_seconds`): its count is tokens generated after
    /// the first, its sum their seconds.
    public static func vllm(metrics: String) throws(ReadError) -> ServerReading {
        let samples = PrometheusText.samples(metrics)
        let names = Set(samples.filter { $0.name.hasPrefix("vllm:") }.compactMap { $0.labels["model_name"] })
        guard !names.isEmpty else { throw ReadError("/metrics has no vllm: samples with a model_name") }
        let latency =
            samples.contains { $0.name == "vllm:inter_token_latency_seconds_count" }
            ? "vllm:inter_token_latency_seconds" : "vllm:time_per_output_token_seconds"
        let prompt =
            samples.contains { $0.name == "vllm:request_prefill_kv_computed_tokens_sum" }
            ? "vllm:request_prefill_kv_computed_tokens_sum" : "vllm:request_prompt_tokens_sum"
        return ServerReading(
            models: names.sorted().prefix(256).compactMap { name in
                let only = ["model_name": name]
                var model = LoadedModel(name: name)
                model.counters = TokenCounters(
                    promptTokens: PrometheusText.sum(samples, prompt, matching: only),
                    promptSeconds: PrometheusText.sum(samples, "vllm:request_prefill_time_seconds_sum", matching: only),
                    generatedTokens: PrometheusText.sum(samples, latency + "_count", matching: only),
                    generatedSeconds: PrometheusText.sum(samples, latency + "_sum", matching: only)
                )
                return bounded(model)
            }
        )
    }
}

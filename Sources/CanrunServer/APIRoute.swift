import CanrunCore
import Foundation
import NIOHTTP1

/// The routes of DESIGN §5.2, parsed from a request line's method and target.
public enum APIRoute: Hashable, Sendable {
    case health
    case machine
    case bandwidth
    case calibration
    /// `POST /v1/calibration?quick=&allow_busy=&threads=&repetitions=`: calibrate in the
    /// background (admin).
    case recalibrate(CalibrationQuery)
    /// `POST /v1/verify?model=PATH.gguf&depth=&repetitions=&ctx=&kv=&flash_attn=&threads=`: run
    /// llama-bench on the file beside canrun's answer, in the background (admin).
    case verify(VerifyQuery)
    /// `GET /v1/verifications`: the verifications kept.
    case verifications
    case rebenchmark
    case reload
    case models
    case model(id: String)
    case fit(FitQuery)
    /// `POST /v1/fit?quant=&ctx=&kv=&flash_attn=&id=` with a Hugging Face `config.json` as the
    /// body; `model` is the id the answer names (`id=`, else `posted-config`).
    case fitConfig(FitQuery)
    case recommendations(RecommendationsQuery)
    case metrics
    /// `GET /` and `GET /report?ctx=&min_tps=&limit=&all=&allow_heavy_loss=`: the report page.
    case report(RecommendationsQuery)
    /// `GET /v1/observations`: the watched model servers, observed beside predicted.
    case observations

    /// How canrund calibrates (`CalibrationRun`'s options; llama-bench is the configured one).
    public struct CalibrationQuery: Hashable, Sendable {
        public var quick = false
        public var allowBusy = false
        public var threads: Int?
        public var repetitions = 2

        public init(quick: Bool = false, allowBusy: Bool = false, threads: Int? = nil, repetitions: Int = 2) {
            self.quick = quick
            self.allowBusy = allowBusy
            self.threads = threads
            self.repetitions = repetitions
        }
    }

    /// A verification canrund runs: the GGUF file (an absolute path canrund can read), the
    /// fit's question, and llama-bench's depth and repetitions.
    public struct VerifyQuery: Hashable, Sendable {
        public var file: String
        public var question: FitQuestion
        public var depth: Int?
        public var repetitions: Int?

        public init(file: String, question: FitQuestion = FitQuestion(), depth: Int? = nil, repetitions: Int? = nil) {
            self.file = file
            self.question = question
            self.depth = depth
            self.repetitions = repetitions
        }
    }

    /// `GET /v1/fit?model=&quant=&ctx=&kv=&flash_attn=&backend=&llama_build=&threads=&min_tps=&allow_heavy_loss=&parallel=&runtime=`.
    public struct FitQuery: Hashable, Sendable {
        public var model: String
        public var quant: String?
        public var context: Int?
        public var kvType: String?
        public var flashAttention: Bool
        public var gpuBackend: GPUBackend?
        public var llamaBuild: Int?
        public var threads: Int?
        /// Without `quant`: the choice's speed goal and whether heavy-loss types may be chosen.
        public var minTokensPerSecond: Double?
        public var allowHeavyLoss: Bool
        /// Sequences served at once (`parallel=`, llama-server's `--parallel`).
        public var parallel: Int

        public init(
            model: String,
            quant: String?,
            context: Int?,
            kvType: String?,
            flashAttention: Bool,
            gpuBackend: GPUBackend? = nil,
            llamaBuild: Int? = nil,
            threads: Int? = nil,
            minTokensPerSecond: Double? = nil,
            allowHeavyLoss: Bool = false,
            parallel: Int = 1
        ) {
            self.model = model
            self.quant = quant
            self.context = context
            self.kvType = kvType
            self.flashAttention = flashAttention
            self.gpuBackend = gpuBackend
            self.llamaBuild = llamaBuild
            self.threads = threads
            self.minTokensPerSecond = minTokensPerSecond
            self.allowHeavyLoss = allowHeavyLoss
            self.parallel = parallel
        }

        /// The question asked about `model`, as the answer layer takes it.
        public var question: FitQuestion {
            FitQuestion(
                quant: quant,
                context: context,
                kvType: kvType,
                flashAttention: flashAttention,
                gpuBackend: gpuBackend,
                llamaBuild: llamaBuild,
                threads: threads,
                minTokensPerSecond: minTokensPerSecond,
                allowHeavyLoss: allowHeavyLoss
            )
            .withParallel(parallel)
        }
    }

    /// `GET /v1/recommendations?ctx=&min_tps=&limit=&all=&allow_heavy_loss=`.
    public struct RecommendationsQuery: Hashable, Sendable {
        public var context: Int
        public var minTokensPerSecond: Double?
        public var limit: Int?
        /// Also models that decode under 1 token/s or were trained for less than `ctx` (`all=1`),
        /// and at heavy-loss quantizations.
        public var includeSlow: Bool
        public var allowHeavyLoss: Bool
        /// `ctx` was given: models trained for less are left out (else each answers at its
        /// maximum when below 8192).
        public var contextAsked: Bool

        public init(
            context: Int,
            minTokensPerSecond: Double?,
            limit: Int?,
            includeSlow: Bool = false,
            allowHeavyLoss: Bool = false,
            contextAsked: Bool = false
        ) {
            self.context = context
            self.minTokensPerSecond = minTokensPerSecond
            self.limit = limit
            self.includeSlow = includeSlow
            self.allowHeavyLoss = allowHeavyLoss
            self.contextAsked = contextAsked
        }
    }

    /// Whether answering takes real computation (a fit, a ranking, a model's sizes per
    /// quantization): answered off the event loop, bounded in number and time.
    public var isComputed: Bool {
        switch self {
        case .fit, .fitConfig, .recommendations, .model, .report: true
        case .health, .machine, .bandwidth, .calibration, .recalibrate, .rebenchmark, .reload, .models, .metrics,
            .observations, .verify, .verifications:
            false
        }
    }

    /// Whether the route changes the daemon's state (uid 0 or the daemon's own uid only).
    public var isAdmin: Bool {
        switch self {
        case .rebenchmark, .reload, .recalibrate, .verify: true
        default: false
        }
    }

    /// Parses `method` and `target` (path and query, percent-encoded as sent).
    public static func parse(method: HTTPMethod, target: String) -> Result<APIRoute, APIError> {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query: [String: String]
        switch Self.query(parts.count > 1 ? String(parts[1]) : "") {
        case .success(let q): query = q
        case .failure(let e): return .failure(e)
        }
        func only(_ allowed: HTTPMethod, _ route: () -> Result<APIRoute, APIError>) -> Result<APIRoute, APIError> {
            method == allowed ? route() : .failure(.methodNotAllowed(method, path, allowed: [allowed]))
        }
        switch path {
        case "/v1/health": return only(.GET) { .success(.health) }
        case "/v1/machine": return only(.GET) { .success(.machine) }
        case "/v1/calibration":
            if method == .GET { return .success(.calibration) }
            if method == .POST { return calibrate(query) }
            return .failure(.methodNotAllowed(method, path, allowed: [.GET, .POST]))
        case "/v1/bandwidth":
            if method == .GET { return .success(.bandwidth) }
            if method == .POST { return .success(.rebenchmark) }
            return .failure(.methodNotAllowed(method, path, allowed: [.GET, .POST]))
        case "/v1/models": return only(.GET) { .success(.models) }
        case "/v1/fit":
            if method == .POST {
                var q = query
                q["model"] = q["id"].flatMap { $0.isEmpty ? nil : $0 } ?? "posted-config"
                return fit(q).map { route in
                    if case .fit(let f) = route { return .fitConfig(f) }
                    return route
                }
            }
            if method == .GET { return fit(query) }
            return .failure(.methodNotAllowed(method, path, allowed: [.GET, .POST]))
        case "/v1/recommendations": return only(.GET) { recommendations(query) }
        case "/", "/report":
            return only(.GET) {
                recommendations(query).map { route in
                    if case .recommendations(let q) = route { return .report(q) }
                    return route
                }
            }
        case "/metrics": return only(.GET) { .success(.metrics) }
        case "/v1/observations": return only(.GET) { .success(.observations) }
        case "/v1/verify": return only(.POST) { verify(query) }
        case "/v1/verifications": return only(.GET) { .success(.verifications) }
        case "/v1/admin/reload": return only(.POST) { .success(.reload) }
        default:
            let prefix = "/v1/models/"
            if path.hasPrefix(prefix), path.count > prefix.count {
                let raw = String(path.dropFirst(prefix.count))
                guard !raw.contains("/"), let id = raw.removingPercentEncoding else {
                    return .failure(.badRequest("model id in \(path) is not a valid name"))
                }
                return only(.GET) { .success(.model(id: id)) }
            }
            return .failure(.notFound(path))
        }
    }

    /// The parameters each route reads; another is refused, so a misspelt one (`context=` for
    /// `ctx=`) is an error rather than an answer for the default.
    static let fitParameters: Set = [
        "model", "id", "quant", "ctx", "kv", "flash_attn", "backend", "llama_build", "threads", "runtime",
        "min_tps", "allow_heavy_loss", "parallel",
    ]
    static let recommendationParameters: Set = ["ctx", "min_tps", "limit", "all", "allow_heavy_loss"]
    static let calibrationParameters: Set = ["quick", "allow_busy", "threads", "repetitions"]

    /// A yes/no parameter: `1`/`true`/`yes` or `0`/`false`/`no`; absent is no.
    static func flag(_ q: [String: String], _ name: String) -> Result<Bool, APIError> {
        switch q[name]?.lowercased() {
        case nil, "0", "false", "no": .success(false)
        case "1", "true", "yes", "": .success(true)
        case let other?: .failure(.badRequest("\(name)=\(other) must be 1 or 0"))
        }
    }

    /// An integer parameter within `range`, `what` it counts for the error; nil when absent.
    static func bounded(
        _ q: [String: String],
        _ name: String,
        _ range: ClosedRange<Int>,
        _ what: String
    ) -> Result<Int?, APIError> {
        guard let text = q[name] else { return .success(nil) }
        guard let n = Int(text), range.contains(n) else {
            return .failure(
                .badRequest("\(name)=\(text) must be \(what) from \(range.lowerBound) to \(range.upperBound)")
            )
        }
        return .success(n)
    }

    /// `min_tps=`: a non-negative, finite tokens/s; nil when absent.
    static func minTokensPerSecond(_ q: [String: String]) -> Result<Double?, APIError> {
        guard let text = q["min_tps"] else { return .success(nil) }
        guard let x = Double(text), x >= 0, x.isFinite else {
            return .failure(.badRequest("min_tps=\(text) is not a non-negative number"))
        }
        return .success(x)
    }

    /// A 400 naming the first parameter of `q` that is not `known`; nil when all are.
    static func unknownParameter(_ q: [String: String], known: Set<String>) -> APIError? {
        guard let unknown = q.keys.sorted().first(where: { !known.contains($0) }) else { return nil }
        return .badRequest(
            "unknown parameter \(unknown)",
            hint: "this route reads \(known.sorted().joined(separator: ", "))"
        )
    }

    static func fit(_ q: [String: String]) -> Result<APIRoute, APIError> {
        if let error = unknownParameter(q, known: fitParameters) { return .failure(error) }
        guard let model = q["model"], !model.isEmpty else {
            return .failure(
                .badRequest("/v1/fit needs ?model=ID", hint: "e.g. /v1/fit?model=llama-3.1-8b&quant=Q4_K_M")
            )
        }
        var context: Int?
        if let text = q["ctx"] {
            guard let n = Int(text), n > 0 else {
                return .failure(.badRequest("ctx=\(text) is not a positive number of tokens"))
            }
            context = n
        }
        if let runtime = q["runtime"], runtime != "llama.cpp" {
            return .failure(.badRequest("runtime \(runtime) is not modelled", hint: "runtime=llama.cpp"))
        }
        let flash: Bool
        switch q["flash_attn"] ?? "on" {
        case "on": flash = true
        case "off": flash = false
        case let other: return .failure(.badRequest("flash_attn=\(other) must be on or off"))
        }
        var backend: GPUBackend?
        if let text = q["backend"] {
            guard let named = GPUBackend(rawValue: text) else {
                return .failure(
                    .badRequest(
                        "backend=\(text) is not a llama.cpp GPU backend canrun models",
                        hint: "backend=" + GPUBackend.allCases.map(\.rawValue).joined(separator: "|")
                    )
                )
            }
            backend = named
        }
        var build: Int?
        if let text = q["llama_build"] {
            guard let n = ModelBounds.llamaBuild(text) else {
                return .failure(.badRequest("llama_build=\(text) is not a llama.cpp release number (b3200 or 3200)"))
            }
            build = n
        }
        let threads: Int?
        let parallel: Int?
        switch (
            bounded(q, "threads", ModelBounds.threads, "a number of CPU threads"),
            bounded(q, "parallel", ModelBounds.parallel, "a number of sequences")
        ) {
        case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
        case (.success(let t), .success(let p)): (threads, parallel) = (t, p)
        }
        let goal: Double?
        let heavy: Bool
        switch (minTokensPerSecond(q), flag(q, "allow_heavy_loss")) {
        case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
        case (.success(let g), .success(let h)): (goal, heavy) = (g, h)
        }
        return .success(
            .fit(
                FitQuery(
                    model: model,
                    quant: q["quant"].flatMap { $0.isEmpty ? nil : $0 },
                    context: context,
                    kvType: q["kv"].flatMap { $0.isEmpty ? nil : $0 },
                    flashAttention: flash,
                    gpuBackend: backend,
                    llamaBuild: build,
                    threads: threads,
                    minTokensPerSecond: goal,
                    allowHeavyLoss: heavy,
                    parallel: parallel ?? 1
                )
            )
        )
    }

    static func calibrate(_ q: [String: String]) -> Result<APIRoute, APIError> {
        if let error = unknownParameter(q, known: calibrationParameters) { return .failure(error) }
        switch (
            flag(q, "quick"), flag(q, "allow_busy"),
            bounded(q, "threads", ModelBounds.threads, "a number of CPU threads"),
            bounded(q, "repetitions", 1...100, "a number of repetitions")
        ) {
        case (.failure(let e), _, _, _), (_, .failure(let e), _, _), (_, _, .failure(let e), _),
            (_, _, _, .failure(let e)):
            return .failure(e)
        case (.success(let quick), .success(let busy), .success(let threads), .success(let repetitions)):
            return .success(
                .recalibrate(.init(quick: quick, allowBusy: busy, threads: threads, repetitions: repetitions ?? 2))
            )
        }
    }

    static let verifyParameters: Set = ["model", "depth", "repetitions", "ctx", "kv", "flash_attn", "threads"]

    /// `model` is the file (the fit's own parameters: `ctx`, `kv`, `flash_attn`, `threads`).
    static func verify(_ q: [String: String]) -> Result<APIRoute, APIError> {
        if let error = unknownParameter(q, known: verifyParameters) { return .failure(error) }
        guard let file = q["model"], file.hasPrefix("/"), file.lowercased().hasSuffix(".gguf"), file.count <= 4096
        else {
            return .failure(
                .badRequest(
                    "/v1/verify needs ?model= the absolute path of a .gguf file canrund can read",
                    hint: "e.g. /v1/verify?model=/srv/models/qwen3-8b-Q4_K_M.gguf&depth=4096"
                )
            )
        }
        var fitQuery = q.filter { ["ctx", "kv", "flash_attn", "threads"].contains($0.key) }
        fitQuery["model"] = file
        let question: FitQuestion
        switch fit(fitQuery) {
        case .failure(let e): return .failure(e)
        case .success(let route):
            guard case .fit(let f) = route else { return .failure(.badRequest("/v1/verify: no question")) }
            question = FitQuestion(
                context: f.context,
                kvType: f.kvType,
                flashAttention: f.flashAttention,
                threads: f.threads
            )
        }
        switch (
            bounded(q, "depth", ModelBounds.context, "a KV depth in tokens"),
            bounded(q, "repetitions", 1...100, "a number of repetitions")
        ) {
        case (.failure(let e), _), (_, .failure(let e)): return .failure(e)
        case (.success(let depth), .success(let repetitions)):
            return .success(.verify(.init(file: file, question: question, depth: depth, repetitions: repetitions)))
        }
    }

    static func recommendations(_ q: [String: String]) -> Result<APIRoute, APIError> {
        if let error = unknownParameter(q, known: recommendationParameters) { return .failure(error) }
        var r = RecommendationsQuery(context: 8192, minTokensPerSecond: nil, limit: nil)
        if let text = q["ctx"] {
            guard let n = Int(text), n > 0 else { return .failure(.badRequest("ctx=\(text) is not a positive number")) }
            r.context = n
            r.contextAsked = true
        }
        switch (minTokensPerSecond(q), flag(q, "all"), flag(q, "allow_heavy_loss")) {
        case (.failure(let e), _, _), (_, .failure(let e), _), (_, _, .failure(let e)): return .failure(e)
        case (.success(let goal), .success(let all), .success(let heavy)):
            r.minTokensPerSecond = goal
            r.includeSlow = all
            r.allowHeavyLoss = heavy
        }
        if let text = q["limit"] {
            guard let n = Int(text), n > 0 else {
                return .failure(.badRequest("limit=\(text) is not a positive number"))
            }
            r.limit = n
        }
        return .success(.recommendations(r))
    }

    /// `a=1&b=x%20y` → `["a": "1", "b": "x y"]`; `+` is a space, as HTML forms send it.
    static func query(_ text: String) -> Result<[String: String], APIError> {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") where !pair.isEmpty {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let key = decode(kv[0]), let value = kv.count > 1 ? decode(kv[1]) : "" else {
                return .failure(.badRequest("the query '\(text)' is not valid percent-encoding"))
            }
            out[key] = value
        }
        return .success(out)
    }
}

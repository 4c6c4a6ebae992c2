import Foundation

/// The models canrun knows: the shipped `config/models/*.toml` plus the user's additions
/// (`/etc/canrun/models.d/`, `~/.config/canrun/models.d/`), later files overriding earlier ones
/// by id. A bad file or entry is reported (file, line or entry, reason) and skipped, never fatal.
public struct ModelCatalog: Sendable, Equatable {
    /// One catalog file: where it came from and its text.
    public struct Source: Sendable, Equatable {
        public var path: String
        public var text: String

        public init(path: String, text: String) {
            self.path = path
            self.text = text
        }
    }

    public private(set) var models: [ModelSpec] {
        didSet { searchNames = models.map(Self.searchNames) }
    }
    /// What was skipped and why, one sentence each.
    public private(set) var problems: [String]
    /// Per model, the lowercased names a query is compared with for "did you mean": the id and
    /// the last part of its repo and aliases.
    private var searchNames: [[String]]

    public init(models: [ModelSpec], problems: [String] = []) {
        self.models = models
        self.problems = problems
        searchNames = models.map(Self.searchNames)
    }

    private static func searchNames(_ m: ModelSpec) -> [String] {
        [m.id]
            + ([m.hfRepo].compactMap { $0 } + (m.aliases ?? [])).map {
                String($0.lowercased().split(separator: "/").last ?? "")
            }
    }

    public init(sources: [Source]) {
        var byID: [String: ModelSpec] = [:]
        var order: [String] = []
        var problems: [String] = []
        for source in sources {
            let (specs, issues) = ModelCatalog.parse(source)
            problems += issues
            for spec in specs {
                if byID[spec.id] == nil { order.append(spec.id) }
                byID[spec.id] = spec
            }
        }
        models = order.compactMap { byID[$0] }
        self.problems = problems
        searchNames = models.map(Self.searchNames)
    }

    static func parse(_ source: Source) -> ([ModelSpec], [String]) {
        let root: [String: Any]
        do {
            root = try TOMLDocument.object(source.text)
        } catch {
            let place = error.line.map { "\(source.path):\($0)" } ?? source.path
            return ([], ["\(place): \(error.message); file skipped"])
        }
        guard let entries = root["model"] as? [[String: Any]] else {
            return ([], ["\(source.path): no [[model]] tables; file skipped"])
        }
        var specs: [ModelSpec] = []
        var problems: [String] = []
        let decoder = ProfileJSON.decoder()
        for (index, entry) in entries.enumerated() {
            let label = "\(source.path): model \(index + 1)" + ((entry["id"] as? String).map { " (\($0))" } ?? "")
            do {
                let data = try JSONSerialization.data(withJSONObject: entry)
                let spec = try decoder.decode(ModelSpec.self, from: data)
                try spec.validate()
                specs.append(spec)
            } catch let error as ModelValidationError {
                problems.append("\(label): \(error); entry skipped")
            } catch let DecodingError.keyNotFound(key, _) {
                problems.append("\(label): missing key \(ModelCatalog.snake(key.stringValue)); entry skipped")
            } catch let DecodingError.typeMismatch(_, context) {
                let key = context.codingPath.last.map { ModelCatalog.snake($0.stringValue) } ?? "?"
                problems.append("\(label): \(key) has the wrong type (\(context.debugDescription)); entry skipped")
            } catch {
                problems.append("\(label): \(error); entry skipped")
            }
        }
        return (specs, problems)
    }

    static func snake(_ camel: String) -> String {
        camel.reduce(into: "") { out, c in
            if c.isUppercase {
                out += "_" + c.lowercased()
            } else {
                out.append(c)
            }
        }
    }

    /// The model a user means by `query`: a catalog id, an alias, a Hugging Face repo
    /// (`meta-llama/Llama-3.1-8B-Instruct` or just `Llama-3.1-8B-Instruct`), or a GGUF repo of it
    /// (the catalog's `gguf_repo`, or any `OWNER/NAME-GGUF` whose NAME is one of those), or an
    /// Ollama name (`ollama(_:)`), case-insensitive.
    public func model(_ query: String) -> ModelSpec? {
        catalogModel(query) ?? ollama(query)?.spec
    }

    /// `model(_:)` by the catalog's own names: id, alias, repo, GGUF repo; no Ollama name.
    func catalogModel(_ query: String) -> ModelSpec? {
        let q = query.lowercased().trimmingCharacters(in: .whitespaces)
        if let exact = models.first(where: { $0.id == q }) { return exact }
        func names(_ m: ModelSpec) -> [String] {
            ([m.hfRepo, m.ggufRepo].compactMap { $0 } + (m.aliases ?? [])).map { $0.lowercased() }
        }
        if let repo = models.first(where: { names($0).contains(q) }) { return repo }
        let base = q.split(separator: "/").last.map(String.init) ?? q
        if let named = models.first(where: { m in
            names(m).contains { $0.split(separator: "/").last.map(String.init) == base }
        }) {
            return named
        }
        // `unsloth/Qwen3-30B-A3B-GGUF` is Qwen3-30B-A3B's files.
        guard base.hasSuffix("-gguf"), base.count > 5 else { return nil }
        return catalogModel(String(base.dropLast(5)))
    }

    /// What `query` names when it is not the entry's own id (an alias, a repo, a GGUF repo), for
    /// the line that says which entry answered; nil when it is the id.
    public func answeredAs(_ query: String) -> ModelSpec? {
        guard let spec = model(query), spec.id != query.lowercased().trimmingCharacters(in: .whitespaces) else {
            return nil
        }
        return spec
    }

    /// The longest model name a lookup considers: longer queries are no id, and comparing them
    /// with every name would let one request cost seconds.
    public static let maxQueryLength = 128

    /// The model `query` names (`model(_:)`), or why there is none, with the closest ids.
    public func resolve(_ query: String) throws(ModelLookupError) -> ModelSpec {
        let trimmed = query.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ModelLookupError(query: query, reason: .empty) }
        guard trimmed.count <= Self.maxQueryLength else {
            throw ModelLookupError(query: String(query.prefix(40)) + "…", reason: .tooLong(query.count))
        }
        if let spec = model(trimmed) { return spec }
        throw ModelLookupError(query: query, reason: .unknown(suggestions: suggestions(for: trimmed)))
    }

    /// Up to `limit` ids close to `query` (edit distance over ids and repo names), for "did you
    /// mean"; none for a query longer than `maxQueryLength`. Names containing the query (or
    /// contained in it) come first; others count only within a third of the query's length (at
    /// least 2 edits): `foo` is near nothing, `lama-3.1-8b` is one edit from `llama-3.1-8b`.
    public func suggestions(for query: String, limit: Int = 3) -> [String] {
        let q = query.lowercased()
        guard !q.isEmpty, q.count <= Self.maxQueryLength else { return [] }
        let near = max(2, q.count / 3)
        let scored = zip(models, searchNames).compactMap { m, names -> (String, Int)? in
            let best = names.map { EditDistance.between(q, $0) }.min() ?? Int.max
            let contained = names.contains { $0.contains(q) || q.contains($0) }
            guard contained || best <= near else { return nil }
            return (m.id, best + (contained ? -100 : 0))
        }
        return scored.sorted { ($0.1, $0.0) < ($1.1, $1.0) }.prefix(limit).map(\.0)
    }
}

/// Why a model name found no catalog entry, with the ids closest to it.
public struct ModelLookupError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case empty
        /// Characters in the query.
        case tooLong(Int)
        case unknown(suggestions: [String])
    }

    public var query: String
    public var reason: Reason

    public var description: String {
        switch reason {
        case .empty: "no model named"
        case .tooLong(let n):
            "a model name of \(n) characters is no model (names are at most \(ModelCatalog.maxQueryLength))"
        case .unknown: "unknown model '\(query)'"
        }
    }

    /// "did you mean …?" when there are close ids.
    public var didYouMean: String? {
        guard case .unknown(let close) = reason, !close.isEmpty else { return nil }
        return "did you mean \(close.joined(separator: ", "))?"
    }
}

enum EditDistance {
    /// Levenshtein distance, O(n·m) with one row.
    static func between(_ a: String, _ b: String) -> Int {
        let x = Array(a)
        let y = Array(b)
        if x.isEmpty { return y.count }
        var row = Array(0...y.count)
        for i in 1...x.count {
            var previous = row[0]
            row[0] = i
            for j in stride(from: 1, through: y.count, by: 1) {
                let current = row[j]
                row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (x[i - 1] == y[j - 1] ? 0 : 1))
                previous = current
            }
        }
        return row[y.count]
    }
}

extension ModelCatalog {
    /// The entry an Ollama model name means and the quantization its tag ships, else nil:
    /// `llama3.1:8b` (a name the entry lists, at its `ollama_quant`), `llama3.1` (`:latest`),
    /// `registry.ollama.ai/library/gemma3:27b`, and an explicit quantization of listed weights,
    /// `llama3.1:8b-instruct-q8_0` (the listed `llama3.1:8b-instruct-q4_K_M` with another suffix).
    public func ollama(_ query: String) -> (spec: ModelSpec, quant: String)? {
        var name = query.lowercased().trimmingCharacters(in: .whitespaces)
        for prefix in ["https://", "registry.ollama.ai/", "ollama.com/", "library/"] where name.hasPrefix(prefix) {
            name.removeFirst(prefix.count)
        }
        guard !name.isEmpty, !name.contains("/") else { return nil }
        if !name.contains(":") { name += ":latest" }
        func names(_ m: ModelSpec) -> [String] { (m.ollama ?? []).map { $0.lowercased() } }
        if let listed = models.first(where: { names($0).contains(name) }), let quant = listed.ollamaQuant {
            return (listed, quant)
        }
        guard let (stem, quant) = Self.ollamaQuantization(name) else { return nil }
        let entry = models.first { m in names(m).contains { Self.ollamaQuantization($0)?.stem == stem } }
        return entry.map { ($0, quant) }
    }

    /// The quantization an Ollama name's tag ships when `query` finds its entry only as an Ollama
    /// name (`llama3.1:8b` → `Q4_K_M`); nil for a catalog id, alias or repo, even one Ollama also
    /// uses (`deepseek-v3` is an id, and Ollama's `deepseek-v3:latest`).
    public func impliedQuant(_ query: String) -> String? {
        guard catalogModel(query) == nil else { return nil }
        return ollama(query)?.quant
    }

    /// An Ollama tag's quantization suffix: `llama3.1:8b-instruct-q4_K_M` → (`llama3.1:8b-instruct`,
    /// `Q4_K_M`), `…-fp16` → F16, `…-bf16` → BF16; nil when the tag names none.
    static func ollamaQuantization(_ tag: String) -> (stem: String, quant: String)? {
        guard let colon = tag.firstIndex(of: ":"), let dash = tag.lastIndex(of: "-"), dash > colon else { return nil }
        let suffix = tag[tag.index(after: dash)...].lowercased()
        let quant: String
        switch suffix {
        case "fp16": quant = "F16"
        case "bf16": quant = "BF16"
        case "fp32": quant = "F32"
        case "mxfp4": quant = "MXFP4"
        default:
            let isQuant =
                (suffix.hasPrefix("q") || suffix.hasPrefix("iq")) && suffix.contains("_")
                && suffix.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
            guard isQuant else { return nil }
            quant = suffix.uppercased()
        }
        return (String(tag[..<dash]), quant)
    }
}

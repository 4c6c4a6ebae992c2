import CanrunCore
import CanrunProbe
import Foundation

/// Watches one model server (`[[observe]]`): each poll reads it, turns its counters into rates
/// since the poll before, and answers each loaded model with canrun's prediction for it on this
/// machine. The reading comes through `fetch`, so recorded answers stand in for a server in
/// tests; predictions are remembered until the model, its quantization or context, or canrund's
/// facts change.
public struct ServerObserver: Sendable {
    public let target: ObserveTarget
    /// Per model: the counters of the last poll, and the last rates seen with their time.
    private var counters: [String: ServerReading.TokenCounters] = [:]
    private var rates: [String: (decode: Double?, prefill: Double?, at: Date)] = [:]
    private var predictions: [PredictionKey: Observation] = [:]
    /// The facts the remembered predictions were made from.
    private var predictedFrom:
        (machine: MachineProfile, engine: EfficiencyTable, quants: QuantTable, catalog: ModelCatalog)?
    /// The last poll's answer; nil before the first.
    public private(set) var last: ServerObservations?

    struct PredictionKey: Hashable {
        var model: String
        var quant: String?
        var context: Int?
        var parallel: Int?
    }

    public init(target: ObserveTarget) { self.target = target }

    /// Polls the server (`fetch` answers a path with its body or throws why not) and answers
    /// from `snapshot`'s engine and machine. A failed poll keeps the models of the last one and
    /// says why.
    public mutating func poll(
        at now: Date,
        snapshot: APISnapshot,
        fetch: (String) throws -> [UInt8]
    ) -> ServerObservations {
        var answer = ServerObservations(
            server: target.name,
            kind: target.kind,
            endpoint: target.endpoint.description,
            polledAt: now
        )
        let reading: ServerReading
        do {
            reading = try Self.read(target.kind, fetch)
        } catch {
            answer.problem = "\(error)"
            answer.models = last?.models ?? []
            last = answer
            return answer
        }
        // A reload (tables, catalog), a measurement or a calibration changes the answers.
        if predictions.count > 64 || predictedFrom?.machine != snapshot.machine
            || predictedFrom?.engine != snapshot.engine.efficiency || predictedFrom?.quants != snapshot.engine.quants
            || predictedFrom?.catalog != snapshot.catalog
        {
            predictions = [:]
            predictedFrom = (snapshot.machine, snapshot.engine.efficiency, snapshot.engine.quants, snapshot.catalog)
        }
        for model in reading.models {
            var observation = prediction(for: model, snapshot: snapshot)
            if let now = model.counters {
                if let before = counters[model.name] {
                    let (decode, prefill) = ObservedRates.between(before, now)
                    if decode != nil || prefill != nil {
                        let earlier = rates[model.name]
                        rates[model.name] = (decode ?? earlier?.decode, prefill ?? earlier?.prefill, answer.polledAt)
                    }
                }
                counters[model.name] = now
            }
            if let seen = rates[model.name] {
                observation.observedDecodeTokensPerS = seen.decode
                observation.observedPrefillTokensPerS = seen.prefill
                observation.observedAt = seen.at
            }
            observation.observedMemoryBytes = model.memoryBytes
            observation.compare()
            answer.models.append(observation)
        }
        // A model the server no longer has loaded is forgotten: a server inventing names cannot
        // grow this without bound.
        let loaded = Set(reading.models.map(\.name))
        counters = counters.filter { loaded.contains($0.key) }
        rates = rates.filter { loaded.contains($0.key) }
        last = answer
        return answer
    }

    /// The server's answers as a reading.
    static func read(_ kind: ObserveTarget.Kind, _ fetch: (String) throws -> [UInt8]) throws -> ServerReading {
        switch kind {
        case .llamaServer:
            let metrics = String(decoding: try fetch("/metrics"), as: UTF8.self)
            return try ServerReading.llamaServer(metrics: metrics, props: Data(try fetch("/props")))
        case .ollama:
            return try ServerReading.ollama(ps: Data(try fetch("/api/ps")))
        case .vllm:
            return try ServerReading.vllm(metrics: String(decoding: try fetch("/metrics"), as: UTF8.self))
        }
    }

    /// canrun's answer for `model`, remembered per model, quantization, context and slots.
    private mutating func prediction(for model: ServerReading.LoadedModel, snapshot: APISnapshot) -> Observation {
        let key = PredictionKey(model: model.name, quant: model.quant, context: model.context, parallel: model.parallel)
        if let known = predictions[key] { return known }
        let made = Self.predict(model, kind: target.kind, snapshot: snapshot)
        predictions[key] = made
        return made
    }

    /// The observation of `model` with canrun's prediction, or the note saying why there is none.
    static func predict(
        _ model: ServerReading.LoadedModel,
        kind: ObserveTarget.Kind,
        snapshot: APISnapshot
    ) -> Observation {
        var observation = Observation(model: model.name)
        observation.quant = model.quant
        observation.contextTokens = model.context
        let advisor = snapshot.advisor
        var question = FitQuestion(quant: model.quant, context: model.context)
        let spec: ModelSpec
        var weights: WeightsEstimate?
        switch kind {
        case .vllm:
            observation.answeredAs = try? advisor.model(model.name).id
            observation.note = "canrun's speeds are llama.cpp's, and vLLM runs its own kernels: observed only"
            return observation
        case .llamaServer:
            guard let file = model.file else { return observation }
            do {
                let gguf = try GGUFFiles.model(file, table: snapshot.engine.quants)
                spec = gguf.spec
                weights = gguf.weights
                question.quant = gguf.weights.quant
                question.modelFile = file
                observation.quant = gguf.weights.quant
                observation.answeredAs = file
            } catch {
                observation.note = "canrund cannot read \(file): \(error)"
                return observation
            }
        case .ollama:
            do {
                spec = try advisor.model(model.name)
                question = advisor.question(question, naming: model.name)
                observation.answeredAs = spec.id
            } catch {
                observation.note = "\(error)"
                return observation
            }
        }
        do {
            let report = try advisor.report(spec, fileWeights: weights, question, machine: snapshot.machine)
            observation.quant = report.quant
            observation.contextTokens = report.contextTokens
            observation.predictedDecodeTokensPerS = report.decodeTokensPerS
            observation.predictedPrefillTokensPerS = report.prefillTokensPerS
            observation.predictedMemoryBytes = report.memory.totalBytes
            if report.decodeTokensPerS == nil {
                observation.note = "no speed predicted: canrund has no bandwidth measurement yet"
            }
        } catch {
            observation.note = error.description
        }
        return observation
    }
}

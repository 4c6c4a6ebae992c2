import CanrunCore
import Foundation
import Testing

/// The answer layer both front ends share: the same lookups, defaults, best-rung rule and
/// error codes for the CLI and canrund.
struct AdvisorTests {
    static let advisor = Advisor(engine: FitEngineTests.engine, catalog: ShippedCatalog.catalog)
    static let machine = FitEngineTests.machine(ramGiB: 24, readGBs: 35)

    @Test func unknownModelsSuggestCloseIds() {
        #expect {
            _ = try Self.advisor.model("lama-3.1-8b")
        } throws: { error in
            guard let error = error as? AnswerError else { return false }
            return error.kind == .notFound && error.code == "unknown_model"
                && error.hint?.hasPrefix("did you mean llama-3.1-8b") == true
        }
    }

    /// Issue 11: forty 15,000-character ids took 22 s of CPU in the "did you mean" search. An id
    /// past `maxQueryLength` is refused before any comparison, and suggestions are never
    /// computed for it.
    @Test func overlongIdsAreRefusedWithoutSearching() {
        let long = String(repeating: "x", count: 15_000)
        #expect(ShippedCatalog.catalog.suggestions(for: long).isEmpty)
        #expect {
            _ = try Self.advisor.model(long)
        } throws: { error in
            guard let error = error as? AnswerError else { return false }
            return error.kind == .badRequest
                && error.message == "a model name of 15000 characters is no model (names are at most 128)"
        }
        #expect(throws: AnswerError.self) { _ = try Self.advisor.model("  ") }
    }

    /// Without a quantization: every rung, and the headline is the `QuantChoice` (the same rule
    /// `report` applies while reading the ladder only as far as it must), named in `choice`.
    @Test func theBestRungIsTheSameEitherWay() throws {
        let spec = try Self.advisor.model("llama-3.1-8b")
        let answer = try Self.advisor.fit(spec, FitQuestion(context: 4096), machine: Self.machine)
        guard case .every(let every) = answer else {
            Issue.record("no quantization asked: every rung expected")
            return
        }
        #expect(every.reports.map(\.quant) == Recommendations.ladder)
        let report = try Self.advisor.report(spec, FitQuestion(context: 4096), machine: Self.machine)
        #expect(answer.headline == report)
        #expect(report.quant == every.choice?.quant)
        #expect(every.choice == QuantChoice.choose(every.reports)?.choice)
    }

    /// The default context is the model's trained maximum when below 8192.
    @Test func defaultContext() throws {
        let spec = try Self.advisor.model("llama-3.1-8b")
        #expect(FitQuestion().context(for: spec) == 8192)
        var short = spec
        short.maxPositionEmbeddings = 2048
        #expect(FitQuestion().context(for: short) == 2048)
    }

    @Test(arguments: [
        (FitQuestion(quant: "Q4_K_M", kvType: "zz"), "unknown_kv_type"),
        (FitQuestion(quant: "Q9_Z"), "unknown_quant"),
        (FitQuestion(quant: "Q4_K_M", context: 1 << 30), "impossible_context"),
        (FitQuestion(quant: "Q4_K_M", context: 0), "impossible_context"),
    ])
    func badQuestionsHaveStableCodes(_ question: FitQuestion, _ code: String) throws {
        let spec = try Self.advisor.model("llama-3.1-8b")
        #expect {
            _ = try Self.advisor.fit(spec, question, machine: Self.machine)
        } throws: { error in
            (error as? AnswerError)?.code == code && (error as? AnswerError)?.kind == .badRequest
        }
    }

    @Test func aPassedDeadlineStopsTheWork() throws {
        let spec = try Self.advisor.model("llama-3.1-8b")
        #expect {
            _ = try Self.advisor.fit(spec, FitQuestion(), machine: Self.machine, deadline: Deadline { true })
        } throws: { error in
            (error as? AnswerError)?.kind == .deadlineExceeded
        }
        #expect(throws: AnswerError.self) {
            _ = try Self.advisor.recommendations(machine: Self.machine, context: 8192, deadline: Deadline { true })
        }
        #expect(try Self.advisor.recommendations(machine: Self.machine, context: 8192, limit: 2).reports.count == 2)
    }
}

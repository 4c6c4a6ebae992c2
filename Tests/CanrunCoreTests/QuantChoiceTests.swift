import Testing

@testable import CanrunCore

/// The quality table (config/quants.toml's `kld`: llama.cpp's tools/perplexity/README.md, PR
/// #6936, Llama 3 8B mean KL divergence from F16) and the tiers it falls in.
struct QuantQualityTests {
    @Test(arguments: [
        ("Q8_0", 0.001355, QuantQuality.Tier.nearLossless),
        ("Q6_K", 0.005452, .nearLossless),
        ("Q5_K_M", 0.010762, .smallLoss),
        ("Q4_K_M", 0.028152, .smallLoss),
        ("IQ4_XS", 0.036334, .smallLoss),
        ("Q4_0", 0.071940, .noticeableLoss),
        ("Q3_K_M", 0.084358, .noticeableLoss),
        ("IQ3_XS", 0.138693, .noticeableLoss),
        ("IQ3_XXS", 0.183625, .heavyLoss),
        ("Q3_K_S", 0.199821, .heavyLoss),
        ("Q2_K", 0.332223, .heavyLoss),
        ("IQ2_M", 0.325989, .heavyLoss),
        ("IQ1_M", 1.393084, .heavyLoss),
    ])
    func shippedTypesFallInTheirTiers(_ quant: String, _ kld: Double, _ tier: QuantQuality.Tier) throws {
        let quality = try #require(ShippedCatalog.quants.quality(of: quant))
        #expect(quality.kld == kld)
        #expect(quality.tier == tier)
    }

    /// Floats lose nothing; a publisher's variant takes its recipe's figure (`Q4_K_L` is
    /// `Q4_K_M` with Q8_0 embeddings); types without a published figure have none; names match
    /// as lookups do (case, aliases).
    @Test func variantsFloatsAndUnknowns() {
        let quants = ShippedCatalog.quants
        #expect(quants.quality(of: "F16") == QuantQuality(kld: 0))
        #expect(quants.quality(of: "BF16")?.tier == .nearLossless)
        #expect(quants.quality(of: "Q4_K_L") == quants.quality(of: "Q4_K_M"))
        #expect(quants.quality(of: "q4_k_m") == quants.quality(of: "Q4_K_M"))
        #expect(quants.quality(of: "MXFP4") == nil)
        #expect(quants.quality(of: "TQ1_0") == nil)
        #expect(quants.quality(of: "NOPE") == nil)
    }

    /// The ladder the answers walk is in quality order, best first.
    @Test func theLadderIsInQualityOrder() throws {
        let kld = try Recommendations.ladder.map { try #require(ShippedCatalog.quants.quality(of: $0)?.kld) }
        // IQ2_M (0.326) and Q2_K (0.332) are within their table's imatrix spread of each other.
        let pairs = zip(kld, kld.dropFirst()).filter { !($0.0 > 0.3 && $0.1 > 0.3 && $0.1 < 0.34) }
        #expect(pairs.allSatisfy { $0.0 <= $0.1 })
    }

    @Test func aNegativeDivergenceIsRefused() {
        let toml = """
            [[ggml_type]]
            name = "Q8_0"
            id = 8
            block_size = 32
            bytes_per_block = 34
            [[named_quant]]
            name = "Q8_0"
            base = "Q8_0"
            kld = -0.1
            [[kv_cache_type]]
            name = "f16"
            bits_per_element = 16
            """
        #expect {
            try QuantTable(toml: toml)
        } throws: { error in
            "\(error)".contains("named quant Q8_0 has kld -0.1: a KL divergence is 0 or more")
        }
    }
}

/// Which quantization leads an answer without `--quant` (`QuantChoice`), on whole fits.
struct QuantChoiceTests {
    static func ladder(_ model: String, _ machine: MachineProfile, context: Int = 4096) throws -> [FitReport] {
        let spec = try FitEngineTests.model(model)
        return try Recommendations.ladder.map {
            try FitEngineTests.engine.fit(.init(model: spec, quant: $0, context: context), machine: machine)
        }
    }

    /// An RTX 4090 decodes an 8B model's Q8_0 far above reading speed: the best quality wins.
    @Test func aFastMachineGetsTheBestQuality() throws {
        let machine = FitEngineTests.machine(ramGiB: 32, readGBs: 60, gpus: [FitEngineTests.rtx4090()])
        let (report, choice) = try #require(QuantChoice.choose(try Self.ladder("llama-3.1-8b", machine)))
        #expect(report.quant == "Q8_0")
        #expect(choice == QuantChoice(quant: "Q8_0", rule: .meetsSpeedGoal, goalTokensPerS: 10))
        #expect(
            choice.sentence(report)
                == "Q8_0 is the highest-quality quantization that fits and decodes at 10 tokens/s or more (near lossless: KL divergence 0.001 from F16 on Llama 3 8B)"
        )
    }

    /// At 30 GB/s nothing that loses little reaches 10 tokens/s: the fastest of those leads, though
    /// Q3_K_M and below would be faster still. IQ4_XS reads the fewest bytes per token, but
    /// Q4_K_M decodes within 10 % of it (`QuantChoice.sameSpeed`) and loses less (KLD 0.028
    /// against 0.036), so Q4_K_M leads.
    @Test func aSlowMachineGetsTheFastestSmallLoss() throws {
        let reports = try Self.ladder("llama-3.1-8b", FitEngineTests.machine(ramGiB: 32, readGBs: 30))
        let (report, choice) = try #require(QuantChoice.choose(reports))
        #expect(choice.rule == .fastestWithSmallLoss)
        #expect(report.quant == "Q4_K_M")
        let xs = try #require(reports.first { $0.quant == "IQ4_XS" })
        #expect((xs.decodeTokensPerS ?? 0) > (report.decodeTokensPerS ?? 0))
        #expect((report.decodeTokensPerS ?? 0) >= QuantChoice.sameSpeed * (xs.decodeTokensPerS ?? 0))
        let faster = try #require(reports.first { $0.quant == "Q3_K_M" })
        #expect((faster.decodeTokensPerS ?? 0) > (report.decodeTokensPerS ?? 0))
        // A lower goal the 5-bit type reaches picks it.
        #expect(QuantChoice.choose(reports, goal: 5)?.report.quant == "Q5_K_M")
    }

    /// 70B in 28 GiB of RAM: only the 2-bit types fit. Not asked for, the answer is the smallest
    /// other type (IQ3_M, which does not fit) and names the heavy one that would; asked for, the
    /// best of those that fit.
    @Test func heavyLossOnlyWhenAsked() throws {
        let reports = try Self.ladder("llama-3.1-70b", FitEngineTests.machine(ramGiB: 28, readGBs: 30))
        #expect(reports.filter(\.fits).map(\.quant) == ["Q2_K", "IQ2_M", "IQ1_M"])
        let (report, choice) = try #require(QuantChoice.choose(reports))
        #expect(choice == QuantChoice(quant: "IQ3_M", rule: .heavyLossOnly, goalTokensPerS: 10, heavyLossFit: "Q2_K"))
        #expect(!report.fits)
        #expect(choice.sentence(report).contains("--allow-heavy-loss"))
        let allowed = try #require(QuantChoice.choose(reports, allowHeavyLoss: true))
        #expect(allowed.choice.rule == .bestThatFits)
        #expect(allowed.report.quant == "Q2_K")
    }

    /// Nothing fits: the smallest rung, which comes closest; no reports, no choice.
    @Test func nothingFits() throws {
        let reports = try Self.ladder("llama-3.1-405b", FitEngineTests.machine(ramGiB: 16, readGBs: 30))
        #expect(QuantChoice.choose(reports)?.choice.rule == .nothingFits)
        #expect(QuantChoice.choose(reports)?.report.quant == "IQ1_M")
        #expect(QuantChoice.choose([FitReport]()) == nil)
    }

    /// The ranking leaves out what only heavy loss fits, and what decodes under 1 token/s, and
    /// counts both; `includeSlow` and `allowHeavyLoss` bring them back.
    @Test func theRankingCountsWhatItLeavesOut() throws {
        let models = try ["llama-3.1-70b", "qwen2.5-72b"].map(FitEngineTests.model)
        let machine = FitEngineTests.machine(ramGiB: 28, readGBs: 30)
        let strict = try Recommendations.rank(models, engine: FitEngineTests.engine, machine: machine, context: 4096)
        #expect(strict.reports.isEmpty)
        #expect(strict.heavyLossOnly == 2)
        #expect(
            Recommendations.leftOutLine(strict, minTokensPerSecond: nil)
                == "left out: 2 fit only at 1- to 3-bit quantizations that lose heavily (--allow-heavy-loss shows them)"
        )
        let heavy = try Recommendations.rank(
            models,
            engine: FitEngineTests.engine,
            machine: machine,
            context: 4096,
            allowHeavyLoss: true,
            includeSlow: true
        )
        // Qwen2.5-72B fits only at IQ1_M there; the larger model ranks first within a verdict.
        #expect(heavy.reports.map { "\($0.model) \($0.quant)" } == ["qwen2.5-72b IQ1_M", "llama-3.1-70b Q2_K"])
        #expect(heavy.leftOut == 0)
    }
}

/// A context beyond a model's training is never lowered in silence (issue 13).
struct ShortContextTests {
    /// TinyLlama is trained for 2,048 tokens: at 131,072 it is left out and counted; with
    /// `includeShortContext` it is answered at 2,048 and says so first.
    @Test func aShortModelIsLeftOutOrSaysSo() throws {
        let models = try ["tinyllama-1.1b", "llama-3.2-1b"].map(FitEngineTests.model)
        let machine = FitEngineTests.machine(ramGiB: 64, readGBs: 60, gpus: [FitEngineTests.rtx4090()])
        let strict = try Recommendations.rank(models, engine: FitEngineTests.engine, machine: machine, context: 131_072)
        #expect(strict.reports.map(\.model) == ["llama-3.2-1b"])
        #expect(strict.shortContext == 1)
        #expect(
            Recommendations.leftOutLine(strict, minTokensPerSecond: nil)
                == "left out: 1 trained for fewer tokens than asked (--all shows them at their maximum)"
        )
        let all = try Recommendations.rank(
            models,
            engine: FitEngineTests.engine,
            machine: machine,
            context: 131_072,
            includeShortContext: true
        )
        let tiny = try #require(all.reports.first { $0.model == "tinyllama-1.1b" })
        #expect(tiny.contextTokens == 2048)
        #expect(tiny.reasons.first == "trained for at most 2048 tokens: answered at 2048, not the asked 131072")
        #expect(Recommendations.table(all.reports).contains("at ctx"))
        // A default context nobody asked for answers each model at its maximum, unremarked.
        let byDefault = try Recommendations.rank(
            models,
            engine: FitEngineTests.engine,
            machine: machine,
            context: 8192,
            includeShortContext: true,
            sayShortContext: false
        )
        let quiet = try #require(byDefault.reports.first { $0.model == "tinyllama-1.1b" })
        #expect(quiet.contextTokens == 2048)
        #expect(!quiet.reasons.contains { $0.hasPrefix("trained for at most") })
    }
}

import CanrunCore
import CanrunProbe
import Foundation
import Testing

@testable import CanrunCalibration

/// The shipped speed tables are the fit of the committed calibration runs, and they reproduce a
/// handful of published runs of every class. Serialized: the fits run for seconds on a
/// cooperative thread each, and on a 2-core machine two at once would starve the live server
/// tests running beside them.
@Suite(.serialized)
struct ShippedSpeedModelTests {
    struct World {
        var runs: [CalibrationRun]
        var engine: FitEngine
        var machines: CalibrationMachines
        var models: CalibrationModels
        var efficiency: EfficiencyTable
    }

    static let world: World = {
        let text = { (path: String) in
            (try? String(
                contentsOf: CalibrationSetTests.repository.appendingPathComponent(path),
                encoding: .utf8
            )) ?? ""
        }
        let runs =
            (try? CalibrationRun.load(
                folder: CalibrationSetTests.repository.appendingPathComponent("Benchmarks/calibration/runs")
            )) ?? []
        let gpus = try! GPUTable(toml: text("config/gpus.toml"))
        let efficiency = try! EfficiencyTable(toml: text("config/efficiency.toml"))
        let catalog = CatalogFiles.catalog(
            shippedDirectory: CalibrationSetTests.repository.appendingPathComponent("config/models").path,
            extraDirectories: []
        )
        return World(
            runs: runs,
            engine: FitEngine(quants: try! QuantTable(toml: text("config/quants.toml")), efficiency: efficiency),
            machines: try! CalibrationMachines(toml: text("Benchmarks/calibration/machines.toml"), gpus: gpus),
            models: try! CalibrationModels(toml: text("Benchmarks/calibration/models.toml"), catalog: catalog),
            efficiency: efficiency
        )
    }()

    /// config/efficiency.toml's GPU decode and prefill-kernel tables are what SpeedCalibration
    /// fits on Benchmarks/calibration today (to the digits it prints): change the runs or the
    /// model, and the tables must be refitted.
    @Test func theShippedTablesAreTheFitOfTheCommittedRuns() throws {
        let w = Self.world
        #expect(w.runs.count > 1_300)
        let decode = DecodeFit.fit(
            DecodeFit(w.runs, engine: w.engine, machines: w.machines, models: w.models).observations
        )
        #expect(Set(decode.keys) == ["cuda", "metal", "rocm", "vulkan"])
        for (backend, fitted) in decode {
            let shipped = try #require(w.efficiency.model.backends[backend])
            #expect(abs(shipped.eta - fitted.eta) < 1e-4, "\(backend) eta")
            #expect(abs(shipped.tauSecondsPerLayer - fitted.tauSecondsPerLayer) < 1e-7, "\(backend) tau")
            #expect(
                abs((shipped.weightsPerFP32Flop ?? 0) - (fitted.weightsPerFP32Flop ?? 0)) < 1e-4,
                "\(backend) weights per FP32 FLOP"
            )
        }
        let prefill = PrefillFit.fit(
            PrefillFit(w.runs, engine: w.engine, machines: w.machines, models: w.models).observations
        )
        #expect(prefill.eta.count >= 6)
        let half = try #require(prefill.expertHalfBatchTokens)
        #expect(abs(half - (w.efficiency.prefill.expertHalfBatchTokens ?? 0)) < 0.01)
        for (key, fitted) in prefill.eta {
            let shipped = try #require(w.efficiency.prefill.kernels[key], "\(key) is not in efficiency.toml")
            #expect(abs(shipped - fitted.eta) < 1e-4, "\(key)")
        }
        // The shader, flash-attention and power terms: the same keys, the same values.
        let pairs: [(String, [String: Double], [String: Double], Double)] = [
            ("weights per FP32 FLOP", prefill.weightsPerShaderFlop, w.efficiency.prefill.weightsPerShaderFlop, 1e-4),
            ("flash attention η", prefill.attentionEta, w.efficiency.prefill.attentionEta, 1e-4),
            (
                "sustained W per FP32 TFLOP", prefill.sustainedWattsPerFP32Teraflop,
                w.efficiency.prefill.sustainedWattsPerFP32Teraflop, 1e-3
            ),
        ]
        for (name, fitted, shipped, tolerance) in pairs {
            #expect(Set(fitted.keys) == Set(shipped.keys), "\(name)")
            for (key, value) in fitted {
                #expect(abs((shipped[key] ?? 0) - value) < tolerance, "\(name) \(key)")
            }
        }
    }

    /// `[backend.cpu]`'s sustained share of the theoretical peak and its threads' synchronisation
    /// per layer are what CPUDecodeFit finds on the CPU-only runs, at the digits it prints.
    @Test func theShippedCPUTermsAreTheFitOfTheCommittedRuns() throws {
        let w = Self.world
        let fit = CPUDecodeFit(w.runs, engine: w.engine, machines: w.machines, models: w.models)
        #expect(fit.observations.count >= 15)
        #expect(Set(fit.observations.map(\.run.sourceID)).count >= 5)
        let fitted = try #require(fit.fit(fit.observations))
        let shipped = try #require(w.efficiency.model.backends["cpu"])
        #expect(abs((shipped.peakReadShare ?? 0) - fitted.peakReadShare) < 0.005)
        #expect(abs(shipped.tauSecondsPerLayer - fitted.syncSecondsPerLayer) < 0.000_000_5)
        // The grid's own prediction is the engine's answer for each run (to the report's rounding).
        let check = CalibrationCheck(
            fit.observations.map(\.run),
            engine: w.engine,
            machines: w.machines,
            models: w.models
        )
        for (o, r) in zip(fit.observations, check.results) {
            let predicted = 1 / fit.predictedSeconds(o, fitted)
            #expect(abs(predicted / r.predicted - 1) < 5e-4, "\(o.run.label)")
        }
    }

    /// The least squares solves the model the engine answers with: at the shipped tables, the
    /// fit's prediction of every prompt run it fits on is canrun's own answer for that run.
    @Test func theFitPredictsAsTheEngineAnswers() throws {
        let w = Self.world
        let fit = PrefillFit(w.runs, engine: w.engine, machines: w.machines, models: w.models)
        let shipped = w.efficiency.prefill
        let parameters = PrefillFit.Parameters(
            eta: shipped.kernels.mapValues { (eta: $0, runs: 0, sources: 0) },
            attentionEta: shipped.attentionEta,
            weightsPerShaderFlop: shipped.weightsPerShaderFlop,
            sustainedWattsPerFP32Teraflop: shipped.sustainedWattsPerFP32Teraflop,
            expertHalfBatchTokens: shipped.expertHalfBatchTokens
        )
        #expect(fit.observations.count > 300)
        for o in fit.observations {
            let engine = try #require(o.terms.tokensPerSecond(model: shipped, promptTokens: o.run.promptTokens))
            let fitted = try #require(parameters.predict(o))
            #expect(abs(fitted / engine - 1) < 1e-9, "\(o.run.label): fit \(fitted), engine \(engine)")
        }
    }

    /// Published runs, two or three per class, each answered within 25 % (the run's row in
    /// Benchmarks/calibration/runs names its source).
    @Test(arguments: [
        // geforce: XiongjieDai/GPU-Benchmarks-on-LLM-Inference @aa72e0ec, RTX 4090.
        ("NVIDIA GeForce RTX 4090 24GB", "llama-3-8b", "Q4_K_M", "tg512", 0, "XiongjieDai/GPU-Benchmarks"),
        ("NVIDIA GeForce RTX 4090 24GB", "llama-3-8b", "Q4_K_M", "pp512", 0, "XiongjieDai/GPU-Benchmarks"),
        // apple: llama.cpp discussion #4167's summary table, M2 Ultra (60-core GPU).
        ("Apple M2 Ultra (60-core GPU)", "llama-2-7b", "Q4_0", "tg128", 0, "gh-disc-4167/summary"),
        ("Apple M2 Ultra (60-core GPU)", "llama-2-7b", "Q4_0", "pp512", 0, "gh-disc-4167/summary"),
        // workstation: XiongjieDai, RTX 6000 Ada.
        ("NVIDIA RTX 6000 Ada Generation 48GB", "llama-3-8b", "Q4_K_M", "tg512", 0, "XiongjieDai/GPU-Benchmarks"),
        // datacenter: SpareCores sc-inspector-data, build 4753.
        ("NVIDIA A100-SXM4-80GB", "phi-4", "Q4_K_M", "tg128", 0, "SpareCores/sc-inspector-data"),
        ("NVIDIA L4 24GB", "phi-4", "Q4_K_M", "tg128", 0, "SpareCores/sc-inspector-data"),
        ("NVIDIA L40S 48GB", "phi-4", "Q4_K_M", "pp512", 0, "SpareCores/sc-inspector-data"),
        // several GPUs: XiongjieDai, 4 × A100 SXM4 80GB.
        ("NVIDIA A100-SXM4-80GB", "llama-3-70b", "Q4_K_M", "tg512", 0, "XiongjieDai/GPU-Benchmarks"),
        // amd: kyuz0/amd-r9700-ai-toolboxes, ROCm 7.1.1, build 7423.
        ("AMD Radeon AI PRO R9700 32GB", "llama-2-7b", "Q4_0", "tg128", 0, "kyuz0/amd-r9700-ai-toolboxes"),
        // unified: Strix Halo, kyuz0/amd-strix-halo-toolboxes and lhl/strix-halo-testing (at depth).
        (
            "AMD Radeon 8060S Graphics (Ryzen AI Max+ 395, Strix Halo) 128GB", "llama-2-7b", "Q4_0", "tg128", 0,
            "kyuz0/amd-strix-halo-toolboxes:benchmark/results"
        ),
        (
            "Radeon 8060S Graphics (Ryzen AI Max+ 395, Framework Desktop 128GB)", "llama-3.2-1b", "Q4_K_M", "tg128",
            4096, "lhl/strix-halo-testing:llama-cpp-fix-wmma"
        ),
        // gpt-oss in its MXFP4 files: decode on ROCm (R9700, kyuz0) and a prompt after 16K tokens
        // on a DGX Spark (benches/dgx-spark.md).
        ("AMD Radeon AI PRO R9700 32GB", "gpt-oss-20b", "MXFP4", "tg128", 0, "kyuz0/amd-r9700-ai-toolboxes"),
        (
            "NVIDIA GB10 (DGX Spark)", "gpt-oss-120b", "MXFP4", "pp2048", 16384,
            "ggml-org/llama.cpp:benches/dgx-spark.md"
        ),
        // Prompts beyond pp512 and after a filled context, one per class: flash attention at
        // depth on CUDA (4 × RTX 4090 layer split, PR #19378; DGX Spark, benches/dgx-spark.md),
        // long prompts without it (A100 SXM4, SpareCores build 4753), and a power-limited
        // workstation card (RTX 6000 Ada, PR #19053). ROCm's deep prompts are not pinned: its one
        // flash-attention η is a compromise between gpt-oss's 64-wide heads (Strix Halo, faster
        // than it says) and 128-wide ones (R9700 at 16-32K, 30-90 % slower).
        (
            "AMD Radeon AI PRO R9700 32GB", "qwen3-coder-30b-a3b", "Q4_K_M", "tg32", 16384,
            "kyuz0/amd-r9700-ai-toolboxes"
        ),
        ("NVIDIA GeForce RTX 4090 24GB", "llama-3-70b", "Q4_K_M", "pp512", 65536, "gh-pr-19378/JohannesGaessler"),
        ("NVIDIA GB10 (DGX Spark)", "gemma-3-4b", "Q4_0", "pp2048", 4096, "ggml-org/llama.cpp:benches/dgx-spark.md"),
        ("NVIDIA A100-SXM4-80GB", "huggyllama/llama-7b", "Q4_K_M", "pp4096", 0, "SpareCores/sc-inspector-data"),
        ("NVIDIA RTX 6000 Ada Generation 48GB", "llama-3.1-8b", "Q4_0", "pp8096", 0, "gh-pr-19053/ORippler"),
        // cpu: a 64-core EPYC 9554 with 12 channels of DDR5-4800 (ahelpme.com), a 32-core Grace VM
        // (PR #29256, 4 threads), a dual-channel 2014 laptop and a one-channel 2025 laptop.
        ("AMD EPYC 9554", "phi-4", "Q4_K_M", "tg128", 0, "ahelpme-6685"),
        ("AMD EPYC 9554", "phi-4", "Q8_0", "tg128", 0, "ahelpme-6685"),
        ("GraceVM 32 Core", "llama-3.2-3b", "Q6_K", "tg128", 0, "gh-pr-29256/abhijain1204fujitsu"),
        ("Intel Core i5 4278U (2014 MacBook Pro)", "llama-3.2-3b", "Q4_K_M", "tg128", 0, "gh-ai-benchmarks-53/zck3"),
        (
            "Intel Core i3-1315U (Framework 12)", "llama-3.2-3b", "Q4_K_M", "pp512", 0,
            "gh-sbc-reviews-107/geerlingguy"
        ),
    ])
    func publishedRunsAreAnsweredWithin25Percent(
        _ hardware: String,
        _ model: String,
        _ quant: String,
        _ test: String,
        _ depth: Int,
        _ source: String
    ) throws {
        let w = Self.world
        let runs = w.runs.filter {
            $0.hardware == hardware && $0.modelID == model && $0.quant == quant && $0.depth == depth
                && $0.sourceID == source
                && (test.hasPrefix("pp") ? "pp\($0.promptTokens)" : "tg\($0.generatedTokens)") == test
                && $0.exclusion == nil
        }
        let run = try #require(runs.first, "no run \(model) \(quant) \(test)@\(depth) on \(hardware) from \(source)")
        let check = CalibrationCheck([run], engine: w.engine, machines: w.machines, models: w.models)
        let result = try #require(check.results.first, "no answer: \(check.skipped.first?.1 ?? "")")
        #expect(abs(result.error) <= 0.25, "\(run.label): predicted \(result.predicted), measured \(run.tokensPerS)")
    }
}

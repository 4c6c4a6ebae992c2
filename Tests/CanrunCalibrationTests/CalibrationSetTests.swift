import CanrunCore
import CanrunProbe
import Foundation
import Testing

@testable import CanrunCalibration

/// The calibration set reads as the fit needs it: runs parse, every machine is one canrun can
/// build from the shipped GPU table, every alias names a catalog model, and the check answers
/// through the engine.
struct CalibrationSetTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static func text(_ relative: String) throws -> String {
        try String(contentsOf: repository.appendingPathComponent(relative), encoding: .utf8)
    }
    static let header =
        "class,source_id,source,hardware,gpu_count,cpu,memory,backend,build,model,model_id,params_b,size_gib,quant,test,depth,tps,ngl,threads,flags,notes\n"

    @Test func runsParseTheirTestAndDepth() {
        let csv =
            Self.header
            + "geforce,s1,u,NVIDIA GeForce RTX 4090,1,,,CUDA,b1,llama 8B Q4_K - Medium,llama-3-8b,8.03,4.58,Q4_K_M,pp512,0,12000.5,99,,fa=1,\n"
            + "unified,s2,u,NVIDIA GB10 (DGX Spark),1,,,CUDA,,m,gpt-oss-20b,,,MXFP4,tg32,4096,77.36,,,,\n"
            + "apple,s3,u,Apple M1 Max 32-Core GPU 64GB,1,,,Metal,,m,llama-3-8b,,,Q4_K_M,pp4096+tg128,0,50,,,,\n"
            + "apple,s3,u,Apple M1 Max 32-Core GPU 64GB,1,,,Metal,,m,llama-3-8b,,,Q4_K_M,tg128,0,,,,,\n"
        let (runs, skipped) = CalibrationRun.load(csv: csv)
        #expect(runs.count == 2)
        #expect(runs[0].isPrefill && runs[0].promptTokens == 512 && runs[0].gpuLayers == 99)
        #expect(runs[1].isDecode && runs[1].generatedTokens == 32 && runs[1].depth == 4096)
        #expect(skipped == ["line 4: test 'pp4096+tg128' is neither ppN nor tgN", "line 5: no tokens/s"])
    }

    @Test func everyMachineAndAliasResolves() throws {
        let gpus = try GPUTable(toml: Self.text("config/gpus.toml"))
        let machines = try CalibrationMachines(toml: Self.text("Benchmarks/calibration/machines.toml"), gpus: gpus)
        #expect(machines.byHardware.count > 60)
        for (hardware, entry) in machines.byHardware {
            let run = CalibrationRun(
                machineClass: "",
                sourceID: "",
                hardware: hardware,
                gpuCount: 2,
                backend: "",
                build: "",
                modelID: "",
                quant: "",
                promptTokens: 512,
                generatedTokens: 0,
                depth: 0,
                tokensPerS: 1,
                gpuLayers: nil,
                flags: "",
                line: 0
            )
            let profile = try machines.profile(for: run)
            if let gpu = entry.gpu {
                #expect(profile.gpus?.count == 2, "\(hardware)")
                #expect(profile.gpus?.first?.bandwidthBytesPerS != nil, "\(gpu) has no bandwidth")
            }
        }
        let catalog = CatalogFiles.catalog(
            shippedDirectory: Self.repository.appendingPathComponent("config/models").path,
            extraDirectories: []
        )
        let models = try CalibrationModels(toml: Self.text("Benchmarks/calibration/models.toml"), catalog: catalog)
        for (id, target) in models.aliases {
            #expect(models.model(id)?.id == target, "\(id) → \(target)")
        }
    }

    @Test func aMachineNobodyStatesIsNoMachine() throws {
        let gpus = try GPUTable(toml: Self.text("config/gpus.toml"))
        let machines = try CalibrationMachines(
            toml: "[host]\nram_gib = 8\nmemory_bandwidth_gbs = 50.0\ncpu_cores = 4\ncpu_mhz = 3000\ncpu_isa = []\n"
                + "[[machine]]\nhardware = [\"Some CPU\"]\ncpu_cores = 8\n",
            gpus: gpus
        )
        var run = try #require(
            CalibrationRun.load(csv: Self.header + "cpu,s,u,Some CPU,0,,,CPU,,m,x,,,Q4_0,tg128,0,5,,,,\n").runs.first
        )
        #expect(throws: CalibrationMachines.Missing.self) { try machines.profile(for: run) }
        run.hardware = "Other"
        #expect(throws: CalibrationMachines.Missing.self) { try machines.profile(for: run) }
    }
}

/// The fit's solver: exact on a consistent system, and a column the data would make negative is
/// dropped rather than fitted below zero.
struct LeastSquaresTests {
    @Test func solvesAConsistentSystemExactly() throws {
        let rows: [[Double]] = [[1, 0, 2], [0, 1, 1], [1, 1, 0], [2, 1, 1]]
        let truth = [0.5, 2.0, 0.25]
        let target = rows.map { zip($0, truth).reduce(0) { $0 + $1.0 * $1.1 } }
        let c = try #require(LeastSquares.nonNegative(rows, target))
        for (got, want) in zip(c, truth) { #expect(abs(got - want) < 1e-12) }
    }

    @Test func aNegativeCoefficientIsDroppedAndTheRestRefitted() throws {
        // y = 2x exactly; the second column is anti-correlated noise that would fit below zero.
        let rows: [[Double]] = [[1, 0.3], [2, 0.1], [3, -0.2], [4, 0.05]].map { [$0[0], $0[1] + 1] }
        let target = [2.0, 4.0, 6.0, 8.0].enumerated().map { $1 - 0.5 * rows[$0][1] }
        let c = try #require(LeastSquares.nonNegative(rows, target))
        #expect(c[1] == 0)
        #expect(c[0] > 0)
    }

    @Test func anEmptyColumnIsLeftAtZero() throws {
        let c = try #require(LeastSquares.nonNegative([[1, 0], [2, 0], [3, 0]], [2, 4, 6]))
        #expect(abs(c[0] - 2) < 1e-12)
        #expect(c[1] == 0)
        #expect(LeastSquares.nonNegative([], []) == nil)
    }
}

import CanrunCore
import Foundation
import Testing

/// config/presets.toml turned into machine profiles, and the speed matrix over them.
struct HardwarePresetsTests {
    static let gpus = CoreFixtures.gpuTable

    static func shipped() throws -> HardwarePresets {
        let text = try String(contentsOfFile: CoreFixtures.repository + "/config/presets.toml", encoding: .utf8)
        return try HardwarePresets(toml: text, gpus: gpus)
    }

    /// The issue's list: DDR4/DDR5 desktops, 8- and 12-channel servers, Apple tiers, RTX 3090/4090/5090,
    /// A100/H100/H200, MI300X, Strix Halo, DGX Spark.
    @Test func shippedPresetsLoad() throws {
        let presets = try Self.shipped()
        #expect(
            presets.presets.map(\.name) == [
                "ddr4-desktop", "ddr5-desktop", "server-8ch-ddr4", "server-12ch-ddr5", "apple-m2", "apple-m2-pro",
                "apple-m2-max", "apple-m2-ultra", "apple-m3-max", "apple-m3-ultra", "apple-m4", "apple-m4-pro",
                "apple-m4-max", "rtx-3090", "rtx-4090", "rtx-5090", "a100-80gb", "h100", "h200",
                "mi300x", "strix-halo", "dgx-spark",
            ]
        )
        // gpus.toml: RTX 4090 24 GB, 1008 GB/s.
        let rtx = try #require(presets.preset(named: "rtx-4090")?.profile.gpus?.first)
        #expect(rtx.memoryBytes == 24 << 30)
        #expect(rtx.bandwidthBytesPerS == 1_008_000_000_000)
        // Every discrete reference card has its spec page's host link; unified parts have none.
        for preset in presets.presets {
            for gpu in preset.profile.gpus ?? [] {
                #expect((gpu.pcieLink != nil) == !gpu.unifiedMemory, "\(preset.name)")
            }
        }
        #expect(rtx.pcieLink == PCIeLink(generation: 4, width: 16, source: "table"))
        // 2 channels × 6000 MT/s × 8 bytes.
        #expect(presets.preset(named: "ddr5-desktop")?.profile.memory.theoreticalBandwidthBytesPerS == 96_000_000_000)
        let m2 = try #require(presets.preset(named: "apple-m2")?.profile.gpus?.first)
        #expect(m2.unifiedMemory)
        #expect(m2.fp16FlopsPerS == 3_578_880_000_000)
        // The M4 Max counts the M3's 1.6 GHz (ComputePeak.appleGPUClockGHz): 40 × 128 × 2 × 1.6 GHz.
        let m4 = try #require(presets.preset(named: "apple-m4-max")?.profile.gpus?.first)
        #expect(m4.bandwidthBytesPerS == 546_000_000_000)
        #expect(m4.fp16FlopsPerS == 16_384_000_000_000)
    }

    @Test(arguments: [
        (
            "[[preset]]\nname = \"a\"\ndescription = \"x\"\nram_gib = 8\nmemory_bandwidth_gbs = 10.0\ncpu_cores = 2\ncpu_mhz = 1000\ncpu_isa = []\ngpus = [\"No Such Card\"]\n",
            "GPU 'No Such Card' is not in gpus.toml"
        ),
        (
            "[[preset]]\nname = \"a\"\ndescription = \"x\"\nram_gib = 0\nmemory_bandwidth_gbs = 10.0\ncpu_cores = 2\ncpu_mhz = 1000\ncpu_isa = []\n",
            "needs positive"
        ),
        ("[[preset]]\nname = \"a\"\n", "description"),
    ])
    func badPresetsAreClearErrors(_ toml: String, _ expected: String) {
        do {
            _ = try HardwarePresets(toml: toml, gpus: Self.gpus)
            Issue.record("accepted a bad preset")
        } catch {
            #expect(String(describing: error).contains(expected), "\(error)")
        }
    }

    @Test func duplicateNamesAreRejected() {
        let one =
            "[[preset]]\nname = \"a\"\ndescription = \"x\"\nram_gib = 8\nmemory_bandwidth_gbs = 10.0\ncpu_cores = 2\ncpu_mhz = 1000\ncpu_isa = []\n"
        #expect(throws: HardwarePresets.LoadError.invalid("preset a is listed twice")) {
            try HardwarePresets(toml: one + one, gpus: Self.gpus)
        }
    }

    /// Llama 3.1 8B: on the GPU of the RTX presets, in RAM on the desktops, on the GPU of Apple
    /// silicon (llama.cpp's default there, even where CPU-only would also fit); DeepSeek V3
    /// (671 B) fits none of the desktop-class machines.
    @Test func speedMatrixPlacements() throws {
        let presets = try Self.shipped()
        let engine = FitEngine(quants: ShippedCatalog.quants, efficiency: FitEngineTests.efficiency)
        let llama = try #require(ShippedCatalog.catalog.model("llama-3.1-8b"))
        let rows = SpeedMatrix.rows(model: llama, presets: presets.presets, engine: engine, context: 8192)
        func mode(_ preset: String, _ quant: String) -> PlacementMode? {
            guard let column = SpeedMatrix.quants.firstIndex(of: quant),
                let row = rows.first(where: { $0.preset == preset })
            else { return nil }
            return row.cells[column]?.placement.mode
        }
        #expect(mode("rtx-4090", "Q8_0") == .gpu)
        #expect(mode("ddr4-desktop", "Q4_K_M") == .cpu)
        #expect(mode("apple-m2-ultra", "Q2_K") == .unified)
        let deepseek = try #require(ShippedCatalog.catalog.model("deepseek-v3"))
        let big = SpeedMatrix.rows(
            model: deepseek,
            presets: presets.presets.filter { $0.name == "ddr5-desktop" || $0.name == "apple-m2" },
            engine: engine,
            context: 8192
        )
        #expect(big.allSatisfy { $0.cells.allSatisfy { $0 == nil } })
        #expect(SpeedMatrix.table(big, context: 8192).contains("—"))
    }
}

/// The line that names the machine an answer is about (`ProfileText.oneLine`).
struct MachineLineTests {
    /// A preset's figures as config/presets.toml gives them: 16 cores with AVX2 and AVX-512, 64 GiB,
    /// one RTX 4090, and the memory's peak, which nothing measured.
    @Test func aPresetIsNamedWithItsPeak() throws {
        let profile = try #require(try HardwarePresetsTests.shipped().preset(named: "rtx-4090")?.profile)
        #expect(
            ProfileText.oneLine(profile)
                == "16 cores (avx2, avx512f), 64.0 GiB RAM, GeForce RTX 4090 24.0 GiB, memory peak 96.0 GB/s (not measured)"
        )
    }

    /// A measured machine says so, and says when its readings moved more than `unsteadyRatio`.
    @Test func aMeasuredMachineSaysHowSteady() {
        var profile = FitEngineTests.machine(ramGiB: 24, readGBs: 32.8)
        #expect(ProfileText.oneLine(profile) == "24.0 GiB RAM, no GPU, read 32.8 GB/s measured")
        profile.bandwidth?.earlierReads = [
            .init(measuredAt: Date(timeIntervalSince1970: 0), readBytesPerS: 11_300_000_000)
        ]
        #expect(
            ProfileText.oneLine(profile).hasSuffix(
                "read 32.8 GB/s measured (unsteady across measurements: speeds move with it)"
            )
        )
    }
}

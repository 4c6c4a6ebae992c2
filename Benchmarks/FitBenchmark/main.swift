// The whole recommendation table (every catalog model × the quantization ladder, with max
// context) on a fixed machine, timed (target: under 20 ms):
//   swift run -c release FitBenchmark [runs]
import CanrunCore
import CanrunProbe
import Foundation

let runs = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 20
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
func text(_ relative: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
}
let quants = try QuantTable(toml: text("config/quants.toml"))
let engine = FitEngine(quants: quants, efficiency: try EfficiencyTable(toml: text("config/efficiency.toml")))
let catalog = CatalogFiles.catalog(
    shippedDirectory: root.appendingPathComponent("config/models").path,
    extraDirectories: []
)
var machine = MachineProfile(
    memory: MemoryFacts(totalBytes: 64 << 30, availableBytes: 60 << 30),
    numaNodes: [NUMANodeFacts(id: 0, memoryBytes: 64 << 30, cpus: Array(0..<16))],
    gpus: [
        GPUFacts(
            vendor: "NVIDIA",
            name: "GeForce RTX 4090",
            memoryBytes: 24 << 30,
            bandwidthBytesPerS: 1_008_000_000_000,
            bandwidthSource: "table"
        )
    ]
)
machine.memory.theoreticalBandwidthBytesPerS = 96_000_000_000

var samples: [Double] = []
var count = 0
for _ in 0..<runs {
    let start = DispatchTime.now().uptimeNanoseconds
    count = try Recommendations.rank(catalog.models, engine: engine, machine: machine, context: 8192).reports.count
    samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
}
samples.sort()
let median = samples[samples.count / 2]
print(
    String(
        format: "recommendation table: %d models, %d rows; median %.1f ms, best %.1f ms; target 20 ms, ratio %.2f",
        catalog.models.count,
        count,
        median,
        samples[0],
        median / 20
    )
)

// Fits canrun's speed model on published llama.cpp measurements and prints the fits, their
// residuals and their leave-one-source-out errors:
//   swift run -c release SpeedCalibration [--every-run] [--export RUNS.csv] [--write]
// (--write puts the fitted GPU prefill tables into config/efficiency.toml)
// First the 28 rows of Tests/Fixtures/reference/speeds.csv (the CPU and Metal prefill tables of
// config/efficiency.toml come from there), then Benchmarks/calibration: the GPU decode tables
// ([backend.cuda|metal|rocm|vulkan]) and the prefill kernel tables ([prefill.*.kernel]) to copy
// into config/efficiency.toml, and the shipped tables' errors per machine class.
import CanrunCore
import CanrunProbe
import Foundation

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
func text(_ relative: String) throws -> String {
    try String(contentsOf: root.appendingPathComponent(relative), encoding: .utf8)
}
let quants = try QuantTable(toml: text("config/quants.toml"))
let gpus = try GPUTable(toml: text("config/gpus.toml"))
let catalog = CatalogFiles.catalog(
    shippedDirectory: root.appendingPathComponent("config/models").path,
    extraDirectories: []
)
let (rows, skipped) = SpeedCalibration.rows(
    csv: try text("Tests/Fixtures/reference/speeds.csv"),
    catalog: catalog,
    quants: quants,
    gpus: gpus
)

var backends: [String: DecodeSpeedModel.Backend] = [:]
for backend in Set(rows.map(\.backend)).sorted() {
    let observations = rows.filter { $0.backend == backend }.map(\.observation)
    guard let (eta, tau) = DecodeSpeedModel.fit(observations) else {
        print("[\(backend)] too few rows to fit (\(observations.count))")
        continue
    }
    backends[backend] = .init(eta: eta, tauSecondsPerLayer: tau, source: "fit on \(observations.count) rows")
    print("[backend.\(backend)]")
    print(String(format: "eta = %.4f", eta))
    print(String(format: "tau_seconds_per_layer = %.7f", tau))
    print("rows = \(observations.count)\n")
}
let model = DecodeSpeedModel(backends: backends)
let errors = SpeedCalibration.errors(rows, model: model)
for (label, error) in errors { print(String(format: "%+7.1f%%  %@", error * 100, label)) }
/// `label: N rows, median |error| …, p90 …` for relative errors.
func summary(_ label: String, _ errors: [(String, Double)]) {
    let magnitudes = errors.map { abs($0.1) }.sorted()
    guard !magnitudes.isEmpty else { return }
    print(
        String(
            format: "\n%@: %d rows, median |error| %.1f%%, p90 %.1f%%",
            label,
            magnitudes.count,
            magnitudes[magnitudes.count / 2] * 100,
            magnitudes[min(magnitudes.count - 1, magnitudes.count * 9 / 10)] * 100
        )
    )
}
summary("decode", errors)
for reason in skipped { print("skipped: \(reason)") }

// Prefill: η per backend, and on CPUs per quantization family.
let (prefillRows, prefillSkipped) = SpeedCalibration.prefillRows(
    csv: try text("Tests/Fixtures/reference/speeds.csv"),
    catalog: catalog,
    quants: quants,
    gpus: gpus
)
var prefillEta: [String: Double] = [:]
var prefillFamilies: [String: Double] = [:]
print("")
for backend in Set(prefillRows.map(\.backend)).sorted() {
    let mine = prefillRows.filter { $0.backend == backend }
    guard let eta = PrefillSpeedModel.fit(mine.map(\.observation)) else { continue }
    prefillEta[backend] = eta
    print("[prefill.\(backend)]")
    print(String(format: "eta = %.4f", eta))
    print("rows = \(mine.count)")
    if backend == "cpu" {
        print("[prefill.cpu.quant_family]")
        for family in Set(mine.map(\.family)).sorted() {
            let rowsOfFamily = mine.filter { $0.family == family }
            guard let e = PrefillSpeedModel.fit(rowsOfFamily.map(\.observation)) else { continue }
            prefillFamilies[family] = e
            print(String(format: "%@ = %.4f  # %d row(s)", family, e, rowsOfFamily.count))
        }
    }
    print("")
}
let prefillModel = PrefillSpeedModel(eta: prefillEta, cpuByQuantFamily: prefillFamilies)
let prefillErrors = SpeedCalibration.prefillErrors(prefillRows, model: prefillModel)
for (label, error) in prefillErrors { print(String(format: "%+7.1f%%  %@", error * 100, label)) }
summary("prefill", prefillErrors)
for reason in prefillSkipped { print("skipped: \(reason)") }

// The shipped tables (config/efficiency.toml, not the fit above) on the published runs.
try printCalibrationCheck(
    root: root,
    engine: FitEngine(quants: quants, efficiency: try EfficiencyTable(toml: text("config/efficiency.toml"))),
    gpus: gpus,
    catalog: catalog,
    verbose: CommandLine.arguments.contains("--every-run"),
    export: CommandLine.arguments.firstIndex(of: "--export").flatMap {
        CommandLine.arguments.indices.contains($0 + 1) ? CommandLine.arguments[$0 + 1] : nil
    },
    write: CommandLine.arguments.contains("--write")
)

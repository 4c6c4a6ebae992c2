import CanrunCalibration
import CanrunCore
import Foundation

/// canrun's shipped model on the published runs of Benchmarks/calibration: per class, how far its
/// decode and prefill answers are from what was measured, and why runs got no answer.
func printCalibrationCheck(root: URL, engine: FitEngine, gpus: GPUTable, catalog: ModelCatalog, verbose: Bool) throws {
    let folder = root.appendingPathComponent("Benchmarks/calibration")
    let files = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("runs").path)
        .filter { $0.hasSuffix(".csv") }.sorted()
    var runs: [CalibrationRun] = []
    for file in files {
        let csv = try String(contentsOf: folder.appendingPathComponent("runs/\(file)"), encoding: .utf8)
        runs += CalibrationRun.load(csv: csv).runs
    }
    let machines = try CalibrationMachines(
        toml: String(contentsOf: folder.appendingPathComponent("machines.toml"), encoding: .utf8),
        gpus: gpus
    )
    let models = try CalibrationModels(
        toml: String(contentsOf: folder.appendingPathComponent("models.toml"), encoding: .utf8),
        catalog: catalog
    )
    let check = CalibrationCheck(runs, engine: engine, machines: machines, models: models)
    if verbose {
        for r in check.results.sorted(by: { abs($0.error) > abs($1.error) }) {
            print(String(format: "%+8.1f%%  %@ (%@)", r.error * 100, r.run.label, r.placement.rawValue))
        }
    }
    print("\n== the shipped model on Benchmarks/calibration (\(runs.count) runs, \(check.results.count) answered)")
    print("class         decode: n   median    p90  signed   prefill: n   median    p90  signed")
    func cells(_ s: ErrorSummary?) -> String {
        guard let s else { return "         -        -       -      -" }
        return String(
            format: "%10d %7.0f%% %5.0f%% %+6.0f%%",
            s.count,
            s.median * 100,
            s.p90 * 100,
            s.medianSigned * 100
        )
    }
    let classes = Set(runs.map(\.machineClass)).sorted() + ["all"]
    for name in classes {
        let mine = check.results.filter { name == "all" || $0.run.machineClass == name }
        let decode = ErrorSummary(mine.filter(\.run.isDecode).map(\.error))
        let prefill = ErrorSummary(mine.filter(\.run.isPrefill).map(\.error))
        print(name.padding(toLength: 12, withPad: " ", startingAt: 0) + cells(decode) + "  " + cells(prefill))
    }
    var reasons: [String: Int] = [:]
    for (_, why) in check.skipped {
        let key = why.replacingOccurrences(of: #"'[^']*'"#, with: "'…'", options: .regularExpression)
            .replacingOccurrences(of: #"\d+"#, with: "N", options: .regularExpression)
        reasons[key, default: 0] += 1
    }
    print("\nno answer:")
    for (why, count) in reasons.sorted(by: { $0.value > $1.value }) { print(String(format: "%5d  %@", count, why)) }
}

/// What the report page shows of a model beyond its ranked answer: its memory at every
/// quantization of the ladder, and its speed on each reference machine (`config/presets.toml`).
public struct ReportExtras: Sendable, Equatable {
    /// One fit per quantization that applies, in ladder order (nil where it cannot be answered).
    public var ladder: [FitReport]
    /// The reference machines' answers at the report's quantization (or Q4_K_M's column).
    public var presets: [(name: String, report: FitReport?)]

    public init(ladder: [FitReport], presets: [(name: String, report: FitReport?)]) {
        self.ladder = ladder
        self.presets = presets
    }

    public static func == (a: ReportExtras, b: ReportExtras) -> Bool {
        a.ladder == b.ladder && a.presets.map(\.name) == b.presets.map(\.name)
            && a.presets.map(\.report) == b.presets.map(\.report)
    }

    /// How many of the ranking's first models get extras: each costs a fit per rung and per
    /// reference machine, and the daemon answers the page within its computation limit.
    public static let models = 12

    /// The extras of the first `models` reports (the rest nil), each at its own quantization and
    /// context, from `engine` on `machine` and on `presets`.
    public static func of(
        _ reports: [FitReport],
        advisor: Advisor,
        machine: MachineProfile,
        presets: [HardwarePresets.Preset]
    ) -> [ReportExtras?] {
        reports.enumerated().map { index, report in
            guard index < models, let spec = try? advisor.model(report.model) else { return nil }
            let engine = advisor.engine
            let inventory = TensorInventory(spec)
            let ladder = Recommendations.ladder(for: spec, quants: engine.quants).compactMap { quant in
                try? engine.fit(
                    FitEngine.Request(
                        model: spec,
                        quant: quant,
                        context: report.contextTokens,
                        kvType: report.kvCacheType
                    ),
                    machine: machine,
                    inventory: inventory
                )
            }
            let column = SpeedMatrix.quants.firstIndex(of: report.quant) ?? 1
            let rows = SpeedMatrix.rows(model: spec, presets: presets, engine: engine, context: report.contextTokens)
            return ReportExtras(ladder: ladder, presets: rows.map { ($0.preset, $0.cells[column]) })
        }
    }
}

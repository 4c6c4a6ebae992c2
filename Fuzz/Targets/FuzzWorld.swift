import CanrunCore
import CanrunProbe
import Foundation

/// What the targets fit against, loaded once: the shipped tables and catalog, a CPU-only
/// machine and a GPU machine (presets of `config/presets.toml`), and a scratch folder for replay
/// trees.
public struct FuzzWorld: Sendable {
    public var advisor: Advisor
    public var quants: QuantTable
    public var gpus: GPUTable
    /// A machine of each kind (a discrete GPU, a CPU alone, unified memory), so every placement
    /// path runs.
    public var machines: [MachineProfile]
    /// Catalog models every probed machine is asked about: a dense one and a mixture of experts.
    public var probeModels: [ModelSpec]
    /// Where the replay target writes its trees (one per process; emptied before each input).
    public var scratch: String

    public struct LoadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// - Parameters:
    ///   - environment: where to find the shipped data (`DataDirectory`).
    ///   - scratch: a folder the probe target may fill and empty; created when missing.
    public static func load(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        scratch: String
    ) throws -> FuzzWorld {
        let gpus = try DataDirectory.gpuTable(environment: environment)
        let efficiency = try DataDirectory.efficiencyTable(environment: environment)
        let presets = try DataDirectory.presets(gpus: gpus, environment: environment)
        let quantsPath = try DataDirectory.locate("quants.toml", environment: environment)
        let quants = try QuantTable(toml: try SafeFile.text(quantsPath, limit: .dataTable))
        let catalog = CatalogFiles.catalog(
            shippedDirectory: (quantsPath as NSString).deletingLastPathComponent + "/models",
            extraDirectories: []
        )
        let machines = ["rtx-4090", "ddr5-desktop", "apple-m2"].compactMap { presets.preset(named: $0)?.profile }
        let models = ["llama-3.1-8b", "qwen3-30b-a3b"].compactMap { try? catalog.resolve($0) }
        guard machines.count == 3, models.count == 2 else {
            throw LoadError(description: "the shipped presets or catalog lack the fuzz targets' machines and models")
        }
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        return FuzzWorld(
            advisor: Advisor(engine: FitEngine(quants: quants, efficiency: efficiency), catalog: catalog),
            quants: quants,
            gpus: gpus,
            machines: machines,
            probeModels: models,
            scratch: scratch
        )
    }
}

import CanrunCore

/// The catalog model a run's `model_id` is answered as: the id itself, or an alias of
/// `Benchmarks/calibration/models.toml` (same tensors, another name).
public struct CalibrationModels: Sendable {
    struct Alias: Decodable {
        var model_id: String
        var `as`: String
        var why: String
    }

    let catalog: ModelCatalog
    let aliases: [String: String]

    public init(toml: String, catalog: ModelCatalog) throws {
        struct File: Decodable { var alias: [Alias] }
        let file = try TOMLDocument.decode(File.self, from: toml)
        aliases = Dictionary(file.alias.map { ($0.model_id, $0.as) }) { a, _ in a }
        self.catalog = catalog
    }

    public func model(_ id: String) -> ModelSpec? {
        catalog.models.first { $0.id == (aliases[id] ?? id) }
    }
}

import CanrunCore
import Foundation

/// Reads the model catalog and the quantization table from disk: the shipped
/// `models/*.toml` beside `gpus.toml`, then `/etc/canrun/models.d/*.toml`, then the user's
/// `$XDG_CONFIG_HOME/canrun/models.d/*.toml` (default `~/.config`), later entries overriding
/// earlier ones by id.
public enum CatalogFiles {
    public static func userModelDirectories(
        environment: [String: String] = ProcessInfo.processInfo.environment
    )
        -> [String]
    {
        let config =
            environment["XDG_CONFIG_HOME"].flatMap { $0.hasPrefix("/") ? $0 : nil }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return ["/etc/canrun/models.d", config + "/canrun/models.d"]
    }

    public static func catalog(
        shippedDirectory: String,
        extraDirectories: [String] = userModelDirectories()
    ) -> ModelCatalog {
        var sources: [ModelCatalog.Source] = []
        var problems: [String] = []
        for directory in [shippedDirectory] + extraDirectories {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { continue }
            for name in names.sorted() where name.hasSuffix(".toml") {
                let path = directory + "/" + name
                do {
                    sources.append(ModelCatalog.Source(path: path, text: try SafeFile.text(path, limit: .catalogFile)))
                } catch {
                    problems.append("\(error); file skipped")
                }
            }
        }
        let catalog = ModelCatalog(sources: sources)
        return ModelCatalog(models: catalog.models, problems: problems + catalog.problems)
    }

    /// The shipped catalog and quantization table, found like `gpus.toml`.
    public static func shipped(
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> (
        ModelCatalog, QuantTable
    ) {
        let quantsPath = try DataDirectory.locate("quants.toml", environment: environment)
        let table = try QuantTable(toml: try SafeFile.text(quantsPath, limit: .dataTable))
        let directory = (quantsPath as NSString).deletingLastPathComponent + "/models"
        return (catalog(shippedDirectory: directory), table)
    }
}

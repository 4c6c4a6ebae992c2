import CanrunCore
import CanrunProbe
import Foundation

/// canrund's Node Feature Discovery feature file (`[kubernetes] nfd_feature_file`): this node's
/// labels (`NodeFeatureLabels`) as of a snapshot, written whole or not at all. The temporary
/// file `DirectoryHandle.replaceAtomically` writes beside it is a dot-file, which NFD's local
/// source skips, so NFD never reads half a file.
public enum NodeFeatureFile {
    /// The file's text for `snapshot` and the configured models.
    public static func text(_ snapshot: APISnapshot, models: [String]) -> String {
        NodeFeatureLabels.file(
            NodeFeatureLabels.labels(machine: snapshot.machine, fits: ServerMetrics.fits(models, snapshot))
        )
    }

    /// Replaces the file at `path` with `text` (mode 0644: NFD's worker reads it as another user).
    public static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let folder = try DirectoryHandle.open(url.deletingLastPathComponent().path)
        try folder.replaceAtomically(url.lastPathComponent, contents: Array(text.utf8), mode: 0o644)
    }
}

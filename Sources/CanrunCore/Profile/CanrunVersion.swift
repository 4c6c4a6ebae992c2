/// canrun's version, reported by `canrun --version`, `GET /v1/health` and recordings.
public enum CanrunVersion {
    public static let current = "0.1.0"
}

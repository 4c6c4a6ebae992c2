/// Why a bandwidth measurement stopped.
public enum BenchmarkError: Error, Equatable, CustomStringConvertible {
    case topology(String)
    case team(String)
    case cancelled

    public var description: String {
        switch self {
        case .topology(let message): "bandwidth benchmark: \(message)"
        case .team(let message): "bandwidth benchmark: \(message)"
        case .cancelled: "bandwidth benchmark cancelled; nothing was kept"
        }
    }
}

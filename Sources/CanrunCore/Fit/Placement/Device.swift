/// A device that holds part of a placement. Encoded as `cpu` (RAM) or `gpuN`, N being the
/// GPU's index in the machine profile's `gpus`.
public enum Device: Hashable, Sendable, Codable, CustomStringConvertible {
    case cpu
    case gpu(Int)

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .gpu(let index): "gpu\(index)"
        }
    }

    /// `cpu` or `gpuN` (N from 0); nil for anything else.
    public init?(_ text: String) {
        if text == "cpu" {
            self = .cpu
        } else if text.hasPrefix("gpu"), let index = Int(text.dropFirst(3)), index >= 0, "gpu\(index)" == text {
            self = .gpu(index)
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let device = Device(text) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "device '\(text)' is neither cpu nor gpuN"
            )
        }
        self = device
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

}

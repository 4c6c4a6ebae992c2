/// A GGUF metadata value (gguf.md "Key-value pairs": 13 value types, arrays may nest).
public enum GGUFValue: Sendable, Equatable {
    case uint(UInt64)
    case int(Int64)
    case float(Double)
    case bool(Bool)
    case string(String)
    case array([GGUFValue])

    /// The value as an integer when it is one (any width, signed or not, within Int range).
    public var intValue: Int? {
        switch self {
        case .uint(let v): v <= UInt64(Int.max) ? Int(v) : nil
        case .int(let v): Int(v)
        default: nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .float(let v): v
        case .uint(let v): Double(v)
        case .int(let v): Double(v)
        default: nil
        }
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var arrayValue: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }
}

/// One tensor of a GGUF file: its name, shape (ggml order, `shape[0]` the row), type and place.
public struct GGUFTensorInfo: Sendable, Equatable {
    public var name: String
    public var shape: [Int64]
    public var typeName: String
    /// Offset from the start of the data section, bytes.
    public var offset: UInt64
    /// Exact size from the type's block layout and the shape.
    public var bytes: Int64
}

/// The header of one GGUF file: everything but the weights.
public struct GGUFFile: Sendable, Equatable {
    public var version: UInt32
    public var metadata: [String: GGUFValue]
    /// Keys in file order.
    public var keys: [String]
    public var tensors: [GGUFTensorInfo]
    /// Where the tensor data section starts, bytes from the file start.
    public var dataOffset: UInt64
    public var alignment: UInt64

    public var tensorBytes: Int64 { tensors.reduce(0) { $0 + $1.bytes } }
}

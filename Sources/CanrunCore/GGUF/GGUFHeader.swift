/// A GGUF file's header as a writer lays it out (gguf.md, version 3): metadata with the exact
/// value types llama.cpp's loader checks (`llama.block_count` must be a UINT32, not any integer),
/// and tensors at aligned offsets in the order given. `encoded()` is the bytes before the data
/// section, padded to the alignment; `GGUFReader` reads them back to the same file.
public struct GGUFHeader: Sendable {
    /// A metadata value with its GGUF type.
    public enum Value: Sendable, Equatable {
        case uint32(UInt32)
        case int32(Int32)
        case uint64(UInt64)
        case float32(Float)
        case bool(Bool)
        case string(String)
        case strings([String])
        case float32s([Float])
        case int32s([Int32])
    }

    /// One tensor: name, shape in ggml order (`shape[0]` the row), and ggml type.
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int64]
        public var type: QuantTable.GGMLType

        public init(name: String, shape: [Int64], type: QuantTable.GGMLType) {
            self.name = name
            self.shape = shape
            self.type = type
        }

        /// Bytes of the tensor's data; nil when its rows are not whole blocks of its type.
        public var bytes: Int64? {
            guard let first = shape.first, let row = type.rowBytes(first) else { return nil }
            return row * shape.dropFirst().reduce(1, *)
        }
    }

    public var metadata: [(key: String, value: Value)]
    public var tensors: [Tensor]
    /// Bytes each tensor's data starts on; written as `general.alignment` when not GGUF's 32.
    public var alignment: UInt64

    public init(metadata: [(key: String, value: Value)], tensors: [Tensor], alignment: UInt64 = 32) {
        self.metadata = metadata
        self.tensors = tensors
        self.alignment = alignment
    }

    /// Why a header cannot be written.
    public enum WriteError: Error, Equatable, CustomStringConvertible {
        case duplicateKey(String)
        case duplicateTensor(String)
        case partialBlocks(tensor: String, type: String, row: Int64)
        case badShape(tensor: String)
        case badAlignment(UInt64)

        public var description: String {
            switch self {
            case .duplicateKey(let k): "metadata key \(k) is given twice"
            case .duplicateTensor(let t): "tensor \(t) is given twice"
            case .partialBlocks(let t, let type, let row):
                "tensor \(t)'s rows of \(row) are not whole \(type) blocks: pick a row length that is a multiple of its block"
            case .badShape(let t): "tensor \(t) needs 1 to 4 dimensions, each at least 1"
            case .badAlignment(let a): "alignment \(a) is not a power of two from 1 to 1 MiB"
            }
        }
    }

    /// Each tensor's offset from the start of the data section, and the data section's size.
    public func layout() throws(WriteError) -> (offsets: [UInt64], dataBytes: UInt64) {
        guard alignment > 0, alignment <= 1 << 20, alignment & (alignment - 1) == 0 else {
            throw WriteError.badAlignment(alignment)
        }
        var offsets: [UInt64] = []
        var cursor: UInt64 = 0
        var names = Set<String>()
        for tensor in tensors {
            guard names.insert(tensor.name).inserted else { throw WriteError.duplicateTensor(tensor.name) }
            guard (1...4).contains(tensor.shape.count), tensor.shape.allSatisfy({ $0 >= 1 }) else {
                throw WriteError.badShape(tensor: tensor.name)
            }
            guard let bytes = tensor.bytes else {
                throw WriteError.partialBlocks(tensor: tensor.name, type: tensor.type.name, row: tensor.shape[0])
            }
            offsets.append(cursor)
            cursor = (cursor + UInt64(bytes) + alignment - 1) / alignment * alignment
        }
        return (offsets, cursor)
    }

    /// The header's bytes, padded to the alignment so the data section starts right after.
    public func encoded() throws(WriteError) -> [UInt8] { try laidOut().head }

    /// The header's bytes (`encoded`) with the data section's layout (`layout`), computed once,
    /// for a writer: the file is `head.count + dataBytes` bytes.
    public func laidOut() throws(WriteError) -> (head: [UInt8], offsets: [UInt64], dataBytes: UInt64) {
        var keys = Set<String>()
        for (key, _) in metadata where !keys.insert(key).inserted { throw WriteError.duplicateKey(key) }
        let (offsets, dataBytes) = try layout()
        var entries = metadata
        if alignment != 32, !keys.contains("general.alignment") {
            entries.append(("general.alignment", .uint32(UInt32(alignment))))
        }
        var out = Array("GGUF".utf8)
        out.little(UInt32(3))
        out.little(UInt64(tensors.count))
        out.little(UInt64(entries.count))
        for (key, value) in entries {
            out.gguf(key)
            out.gguf(value)
        }
        for (tensor, offset) in zip(tensors, offsets) {
            out.gguf(tensor.name)
            out.little(UInt32(tensor.shape.count))
            for d in tensor.shape { out.little(UInt64(d)) }
            out.little(UInt32(tensor.type.id))
            out.little(offset)
        }
        let padded = (UInt64(out.count) + alignment - 1) / alignment * alignment
        out.append(contentsOf: repeatElement(0, count: Int(padded) - out.count))
        return (out, offsets, dataBytes)
    }
}

extension [UInt8] {
    fileprivate mutating func little<T: FixedWidthInteger>(_ v: T) {
        Swift.withUnsafeBytes(of: v.littleEndian) { append(contentsOf: $0) }
    }

    fileprivate mutating func gguf(_ s: String) {
        let utf8 = Array(s.utf8)
        little(UInt64(utf8.count))
        append(contentsOf: utf8)
    }

    fileprivate mutating func gguf(_ value: GGUFHeader.Value) {
        switch value {
        case .uint32(let v):
            little(UInt32(4))
            little(v)
        case .int32(let v):
            little(UInt32(5))
            little(v)
        case .uint64(let v):
            little(UInt32(10))
            little(v)
        case .float32(let v):
            little(UInt32(6))
            little(v.bitPattern)
        case .bool(let v):
            little(UInt32(7))
            append(v ? 1 : 0)
        case .string(let s):
            little(UInt32(8))
            gguf(s)
        case .strings(let a):
            array(elementType: 8, count: a.count)
            for s in a { gguf(s) }
        case .float32s(let a):
            array(elementType: 6, count: a.count)
            for v in a { little(v.bitPattern) }
        case .int32s(let a):
            array(elementType: 5, count: a.count)
            for v in a { little(v) }
        }
    }

    private mutating func array(elementType: UInt32, count: Int) {
        little(UInt32(9))
        little(elementType)
        little(UInt64(count))
    }
}

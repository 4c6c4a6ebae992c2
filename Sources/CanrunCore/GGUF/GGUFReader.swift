/// Reads a GGUF header — metadata and tensor table — from a byte source, never the weights.
///
/// Format (ggml/docs/gguf.md): magic `GGUF`, version (u32), tensor count and metadata count
/// (u64 since version 2), the key-value pairs, the tensor infos (name, dims, type, offset), then
/// padding to `general.alignment` (default 32) and the data. All integers little-endian.
///
/// Hostile-input safe: every count and length is bounded by the bytes that remain in the file
/// (and by sane limits) before anything is allocated; arrays nest at most 8 deep; shapes have
/// 1–4 dimensions whose product cannot overflow; sizes come from `QuantTable`.
public struct GGUFReader<Source: GGUFByteSource> {
    private var source: Source
    private let table: QuantTable

    public static var maxTensors: UInt64 { 1 << 20 }
    public static var maxMetadata: UInt64 { 1 << 20 }
    public static var maxStringBytes: UInt64 { 1 << 26 }
    static var maxArrayDepth: Int { 8 }

    public init(source: Source, table: QuantTable) {
        self.source = source
        self.table = table
    }

    public mutating func read() throws -> GGUFFile {
        guard try bytes(4, "the magic") == Array("GGUF".utf8) else { throw GGUFError.notGGUF }
        let version = try u32("the version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
        let tensorCount = try u64("the tensor count")
        let kvCount = try u64("the metadata count")
        // Each tensor info takes at least 8+1+4+8+4+8 bytes, each pair at least 8+1+4+1.
        guard tensorCount <= Self.maxTensors, tensorCount * 33 <= remaining else {
            throw GGUFError.implausible("\(tensorCount) tensors cannot fit in \(source.size) bytes")
        }
        guard kvCount <= Self.maxMetadata, kvCount * 14 <= remaining else {
            throw GGUFError.implausible("\(kvCount) metadata pairs cannot fit in \(source.size) bytes")
        }
        var metadata: [String: GGUFValue] = [:]
        var keys: [String] = []
        for _ in 0..<kvCount {
            let key = try string("a metadata key", limit: 1 << 16)
            let type = try u32("the type of \(key)")
            let value = try self.value(type: type, depth: 0, context: key)
            if metadata.updateValue(value, forKey: key) != nil {
                throw GGUFError.inconsistent("metadata key \(key) appears twice")
            }
            keys.append(key)
        }
        var alignment: UInt64 = 32
        if let value = metadata["general.alignment"] {
            guard let a = value.intValue, a > 0, a <= 1 << 20, a & (a - 1) == 0 else {
                throw GGUFError.implausible("general.alignment \(value) is not a power of two")
            }
            alignment = UInt64(a)
        }
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(Int(tensorCount))
        var names = Set<String>()
        for _ in 0..<tensorCount {
            let tensor = try tensorInfo(alignment: alignment)
            guard names.insert(tensor.name).inserted else {
                throw GGUFError.inconsistent("tensor \(tensor.name) appears twice")
            }
            tensors.append(tensor)
        }
        let headerEnd = source.position
        let dataOffset = (headerEnd + alignment - 1) / alignment * alignment
        let available = source.size > dataOffset ? source.size - dataOffset : 0
        for tensor in tensors where tensor.offset > available || UInt64(tensor.bytes) > available - tensor.offset {
            throw GGUFError.truncated(
                at: source.size,
                needed: "tensor \(tensor.name)'s data (\(tensor.bytes) bytes at +\(tensor.offset))"
            )
        }
        return GGUFFile(
            version: version,
            metadata: metadata,
            keys: keys,
            tensors: tensors,
            dataOffset: dataOffset,
            alignment: alignment
        )
    }

    private var remaining: UInt64 { source.size - source.position }

    private mutating func bytes(_ count: UInt64, _ what: String) throws -> [UInt8] {
        guard count <= remaining else { throw GGUFError.truncated(at: source.position, needed: what) }
        return try source.read(Int(count))
    }

    private mutating func little<T: FixedWidthInteger>(_: T.Type, _ what: String) throws -> T {
        let raw = try bytes(UInt64(MemoryLayout<T>.size), what)
        let bits = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return T(truncatingIfNeeded: bits)
    }

    private mutating func u32(_ what: String) throws -> UInt32 { try little(UInt32.self, what) }
    private mutating func u64(_ what: String) throws -> UInt64 { try little(UInt64.self, what) }

    private mutating func string(_ what: String, limit: UInt64 = GGUFReader.maxStringBytes) throws -> String {
        let length = try u64("the length of \(what)")
        guard length <= limit, length <= remaining else {
            throw GGUFError.implausible("\(what) claims \(length) bytes")
        }
        return String(decoding: try bytes(length, what), as: UTF8.self)
    }

    /// The smallest encoding of a value of `type`, to bound array counts before reading them.
    private func minimumSize(_ type: UInt32) -> UInt64 {
        switch type {
        case 0, 1, 7: 1
        case 2, 3: 2
        case 4, 5, 6: 4
        case 8: 8
        case 9: 12
        default: 8
        }
    }

    private mutating func value(type: UInt32, depth: Int, context: String) throws -> GGUFValue {
        switch type {
        case 0: return .uint(UInt64(try little(UInt8.self, context)))
        case 1: return .int(Int64(try little(Int8.self, context)))
        case 2: return .uint(UInt64(try little(UInt16.self, context)))
        case 3: return .int(Int64(try little(Int16.self, context)))
        case 4: return .uint(UInt64(try u32(context)))
        case 5: return .int(Int64(try little(Int32.self, context)))
        case 6: return .float(Double(Float(bitPattern: try u32(context))))
        case 7:
            let b = try little(UInt8.self, context)
            guard b <= 1 else { throw GGUFError.implausible("\(context) is a bool of value \(b)") }
            return .bool(b == 1)
        case 8: return .string(try string(context))
        case 9:
            guard depth < Self.maxArrayDepth else { throw GGUFError.implausible("\(context) nests arrays too deep") }
            let elementType = try u32("the element type of \(context)")
            let count = try u64("the length of \(context)")
            guard count <= remaining / minimumSize(elementType) else {
                throw GGUFError.implausible("\(context) claims \(count) elements")
            }
            var elements: [GGUFValue] = []
            elements.reserveCapacity(Int(min(count, 1 << 16)))
            for _ in 0..<count { elements.append(try value(type: elementType, depth: depth + 1, context: context)) }
            return .array(elements)
        case 10: return .uint(try u64(context))
        case 11: return .int(try little(Int64.self, context))
        case 12: return .float(Double(bitPattern: try u64(context)))
        default: throw GGUFError.implausible("\(context) has unknown value type \(type)")
        }
    }

    private mutating func tensorInfo(alignment: UInt64) throws -> GGUFTensorInfo {
        let name = try string("a tensor name", limit: 1 << 16)
        let dims = try u32("the dimensions of \(name)")
        guard (1...4).contains(dims) else { throw GGUFError.implausible("tensor \(name) has \(dims) dimensions") }
        var shape: [Int64] = []
        var elements: Int64 = 1
        for _ in 0..<dims {
            let d = try u64("a dimension of \(name)")
            guard d >= 1, d <= 1 << 40 else { throw GGUFError.implausible("tensor \(name) has dimension \(d)") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: Int64(d))
            guard !overflow, product <= 1 << 50 else {
                throw GGUFError.implausible("tensor \(name) has an impossible number of elements")
            }
            elements = product
            shape.append(Int64(d))
        }
        let typeID = try u32("the type of \(name)")
        guard let type = table.type(id: Int(typeID)) else {
            throw GGUFError.unknownTensorType(tensor: name, id: typeID)
        }
        let offset = try u64("the offset of \(name)")
        guard offset % alignment == 0 else {
            throw GGUFError.inconsistent("tensor \(name)'s offset \(offset) is not aligned to \(alignment)")
        }
        guard let rowBytes = type.rowBytes(shape[0]) else {
            throw GGUFError.inconsistent("tensor \(name)'s rows of \(shape[0]) are not whole \(type.name) blocks")
        }
        return GGUFTensorInfo(
            name: name,
            shape: shape,
            typeName: type.name,
            offset: offset,
            bytes: rowBytes * (elements / shape[0])
        )
    }
}

/// Sequential bytes of one file (or a buffer), with a known total size.
public protocol GGUFByteSource {
    var size: UInt64 { get }
    var position: UInt64 { get }
    /// Exactly `count` bytes from the current position; `count` never exceeds what remains.
    mutating func read(_ count: Int) throws -> [UInt8]
}

/// A GGUF header held in memory (tests, fuzzing, data received over the socket).
public struct GGUFBuffer: GGUFByteSource {
    private let bytes: [UInt8]
    public private(set) var position: UInt64 = 0
    public var size: UInt64 { UInt64(bytes.count) }

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public mutating func read(_ count: Int) throws -> [UInt8] {
        let start = Int(position)
        position += UInt64(count)
        return Array(bytes[start..<(start + count)])
    }
}

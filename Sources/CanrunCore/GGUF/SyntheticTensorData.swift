/// Valid random weights for a tensor of a ggml type, for the synthetic GGUFs canrun times
/// llama.cpp on: speed depends on the tensors' shapes and types, not their values, but every
/// float a kernel reads must be finite and small, so a random model computes no infinities.
///
/// Floats are ±2⁻¹⁰ to ±2⁻⁵ with random mantissas. Quantized blocks are random bytes (their
/// packed integers and integer scales are valid whatever the bits) with each FP16 scale field
/// (ggml-common.h's `d`, `dmin`, `m`) set to a float in that range. The same seed gives the same
/// bytes on every machine.
public struct SyntheticTensorData: Sendable {
    public let type: QuantTable.GGMLType
    private var state: UInt64
    private let halfScales: [Int]

    /// Byte offsets of the FP16 scale fields in one block of each quantized type ggml-common.h
    /// lays out; a type not listed cannot be written.
    public static let halfScaleOffsets: [String: [Int]] = [
        "Q4_0": [0], "Q4_1": [0, 2], "Q5_0": [0], "Q5_1": [0, 2], "Q8_0": [0],
        "Q2_K": [80, 82], "Q3_K": [108], "Q4_K": [0, 2], "Q5_K": [0, 2], "Q6_K": [208],
    ]

    /// The float types, written value by value.
    public static let floatTypes: Set<String> = ["F32", "F16", "BF16"]

    /// Every type this writes.
    public static var writableTypes: [String] { (Array(floatTypes) + halfScaleOffsets.keys).sorted() }

    /// nil when `type` is one whose block layout this does not know (IQ, MXFP4, ...).
    public init?(type: QuantTable.GGMLType, seed: UInt64) {
        guard Self.floatTypes.contains(type.name) || Self.halfScaleOffsets[type.name] != nil else { return nil }
        self.type = type
        self.state = seed
        self.halfScales = Self.halfScaleOffsets[type.name] ?? []
    }

    /// The next `blocks` blocks of the tensor (one element per block for the float types).
    public mutating func next(blocks: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: blocks * type.bytesPerBlock)
        out.withUnsafeMutableBytes { raw in
            switch type.name {
            case "F32":
                for i in 0..<blocks {
                    raw.storeBytes(of: smallFloat().bitPattern.littleEndian, toByteOffset: i * 4, as: UInt32.self)
                }
            case "F16":
                for i in 0..<blocks {
                    raw.storeBytes(of: smallHalf().littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            case "BF16":
                // bfloat16 is the high half of an FP32.
                for i in 0..<blocks {
                    let bits = UInt16(truncatingIfNeeded: smallFloat().bitPattern >> 16)
                    raw.storeBytes(of: bits.littleEndian, toByteOffset: i * 2, as: UInt16.self)
                }
            default:
                var i = 0
                while i + 8 <= raw.count {
                    raw.storeBytes(of: random().littleEndian, toByteOffset: i, as: UInt64.self)
                    i += 8
                }
                while i < raw.count {
                    raw[i] = UInt8(truncatingIfNeeded: random())
                    i += 1
                }
                for b in 0..<blocks {
                    for offset in halfScales {
                        raw.storeBytes(
                            of: smallHalf().littleEndian,
                            toByteOffset: b * type.bytesPerBlock + offset,
                            as: UInt16.self
                        )
                    }
                }
            }
        }
        return out
    }

    /// SplitMix64: fast, and the same stream everywhere.
    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// IEEE half: sign, exponent 5-10 (2⁻¹⁰ to 2⁻⁵), random mantissa.
    private mutating func smallHalf() -> UInt16 {
        let r = random()
        return UInt16(r & 1) << 15 | UInt16(5 + (r >> 1) % 6) << 10 | UInt16((r >> 8) & 0x3FF)
    }

    private mutating func smallFloat() -> Float {
        let r = random()
        let exponent = UInt32(127 - 10 + Int((r >> 1) % 6))
        return Float(bitPattern: UInt32(r & 1) << 31 | exponent << 23 | UInt32((r >> 8) & 0x7F_FFFF))
    }
}

import CanrunCore
import Foundation
import Testing

/// canrun's GGUF writer against the reference writer (gguf-py 0.19.0, llama.cpp's own, which wrote
/// Tests/Fixtures/gguf with scripts/make-gguf-fixtures.py), against canrun's reader, and on the
/// inputs it must refuse.
struct GGUFWriterTests {
    static var quants: QuantTable { ShippedCatalog.quants }

    static func type(_ name: String) -> QuantTable.GGMLType { quants.type(named: name)! }

    /// gguf-py's header of tiny-llama-q8_0.gguf, entry by entry in its order and with its value
    /// types (every `add_*_count`/`length` is a UINT32, `add_token_list` an array of strings):
    /// canrun's encoding of the same entries is the same bytes.
    @Test func headerIsByteForByteTheReferenceWritersHeader() throws {
        let bytes = Array(try CoreFixtures.data("gguf/tiny-llama-q8_0.gguf"))
        var reader = GGUFReader(source: GGUFBuffer(bytes), table: Self.quants)
        let file = try reader.read()
        let metadata: [(key: String, value: GGUFHeader.Value)] = try file.keys.map { key in
            switch file.metadata[key]! {
            case .string(let s): return (key, .string(s))
            case .uint(let v): return (key, .uint32(UInt32(v)))
            case .array(let a): return (key, .strings(a.compactMap(\.stringValue)))
            default: throw GGUFHeader.WriteError.duplicateKey("unexpected value type of \(key)")
            }
        }
        let header = GGUFHeader(
            metadata: metadata,
            tensors: file.tensors.map { .init(name: $0.name, shape: $0.shape, type: Self.type($0.typeName)) }
        )
        let encoded = try header.encoded()
        #expect(UInt64(encoded.count) == file.dataOffset)
        #expect(encoded == Array(bytes[0..<Int(file.dataOffset)]))
        #expect(try header.layout().offsets == file.tensors.map(\.offset))
    }

    /// A 2-layer model with every kind of value, read back by canrun's reader as written.
    @Test(arguments: ["F16", "Q8_0", "Q4_0", "Q4_K", "Q6_K", "BF16"])
    func syntheticModelReadsBack(_ weightType: String) throws {
        let model = SyntheticModel(
            name: "synthetic-\(weightType)",
            layers: 2,
            embedding: 256,
            feedForward: 512,
            heads: 4,
            kvHeads: 2,
            vocabulary: 300,
            contextLength: 2048,
            weightType: weightType
        )
        let header = try model.header(quants: Self.quants)
        let (offsets, dataBytes) = try header.layout()
        let head = try header.encoded()
        // The reader checks every tensor's data is present: give it the whole (zero) data section.
        var reader = GGUFReader(
            source: GGUFBuffer(head + [UInt8](repeating: 0, count: Int(dataBytes))),
            table: Self.quants
        )
        let file = try reader.read()
        #expect(file.version == 3)
        #expect(file.dataOffset == UInt64(head.count))
        #expect(file.keys == header.metadata.map(\.key))
        #expect(file.tensors.map(\.name) == header.tensors.map(\.name))
        #expect(file.tensors.map(\.shape) == header.tensors.map(\.shape))
        #expect(file.tensors.map(\.typeName) == header.tensors.map(\.type.name))
        #expect(file.tensors.map(\.offset) == offsets)
        #expect(file.metadata["llama.attention.layer_norm_rms_epsilon"] == .float(Double(Float(1e-5))))
        #expect(file.metadata["tokenizer.ggml.tokens"]?.arrayValue?.count == 300)
        #expect(file.metadata["tokenizer.ggml.tokens"]?.arrayValue?[3] == .string("<0x00>"))
        #expect(file.metadata["tokenizer.ggml.tokens"]?.arrayValue?[258] == .string("<0xFF>"))
        #expect(file.metadata["tokenizer.ggml.token_type"]?.arrayValue?[3] == .int(6))
        let spec = try GGUFModel(parts: [file], id: "synthetic").spec
        #expect(spec.numHiddenLayers == 2)
        #expect(spec.hiddenSize == 256)
        #expect(spec.numAttentionHeads == 4)
        #expect(spec.numKeyValueHeads == 2)
        #expect(spec.headDim == 64)
        #expect(spec.vocabSize == 300)
        // 2 × (4 × 256² ÷ 2 K/V halves + 3 × 256 × 512 + 2 × 256) + 2 × 256 × 300 + 256 parameters:
        // Q and O 256 × 256, K and V 256 × 128, three FFN matrices 256 × 512, two norms, then
        // the embedding, the head and the output norm.
        let parameters = 2 * (2 * 256 * 256 + 2 * 256 * 128 + 3 * 256 * 512 + 2 * 256) + 2 * 256 * 300 + 256
        #expect(header.tensors.reduce(0) { $0 + $1.shape.reduce(1, *) } == Int64(parameters))
    }

    /// One layer of 256 wide with 8 experts of `feedForward`, 2 per token, in Q8_0.
    static func moe(feedForward: Int) -> SyntheticModel {
        SyntheticModel(
            name: "synthetic-moe",
            layers: 1,
            embedding: 256,
            feedForward: feedForward,
            heads: 4,
            kvHeads: 4,
            vocabulary: 300,
            experts: 8,
            expertsUsed: 2,
            weightType: "Q8_0"
        )
    }

    @Test func expertsAreStackedPerLayer() throws {
        let header = try Self.moe(feedForward: 256).header(quants: Self.quants)
        let shapes = Dictionary(uniqueKeysWithValues: header.tensors.map { ($0.name, $0.shape) })
        #expect(shapes["blk.0.ffn_gate_inp.weight"] == [256, 8])
        #expect(shapes["blk.0.ffn_gate_exps.weight"] == [256, 256, 8])
        #expect(shapes["blk.0.ffn_down_exps.weight"] == [256, 256, 8])
        #expect(shapes["blk.0.ffn_gate.weight"] == nil)
        #expect(header.metadata.first { $0.key == "llama.expert_used_count" }?.value == .uint32(2))
    }

    /// A Mixtral-style file (llama, experts, no expert_feed_forward_length, as convert_hf_to_gguf
    /// writes Mixtral) reads back as a mixture of experts of feed_forward_length wide, as
    /// llama.cpp reads it; canrun refused such files before (the calibration's check model).
    @Test func aMixtralStyleFileReadsItsExpertWidth() throws {
        let header = try Self.moe(feedForward: 512).header(quants: Self.quants)
        #expect(!header.metadata.contains { $0.key.hasSuffix("expert_feed_forward_length") })
        let (_, dataBytes) = try header.layout()
        var reader = GGUFReader(
            source: GGUFBuffer(try header.encoded() + [UInt8](repeating: 0, count: Int(dataBytes))),
            table: Self.quants
        )
        let spec = try GGUFModel(parts: [try reader.read()], id: "synthetic-moe").spec
        #expect(spec.numExperts == 8)
        #expect(spec.numExpertsPerTok == 2)
        #expect(spec.moeIntermediateSize == 512)
    }

    /// Every FP16 scale of a quantized block, and every float, is finite and 2⁻¹⁰ to 2⁻⁵ in size.
    @Test(arguments: ["Q4_0", "Q8_0", "Q4_K", "Q6_K", "F16"])
    func weightsAreSmallFiniteFloats(_ name: String) throws {
        var data = try #require(SyntheticTensorData(type: Self.type(name), seed: 7))
        let blocks = data.next(blocks: 64)
        let block = Self.type(name).bytesPerBlock
        let offsets = SyntheticTensorData.halfScaleOffsets[name] ?? [0]
        for b in 0..<64 {
            for offset in offsets {
                let bits = UInt16(blocks[b * block + offset]) | UInt16(blocks[b * block + offset + 1]) << 8
                let exponent = Int(bits >> 10 & 0x1F)
                #expect((5...10).contains(exponent), "block \(b) scale at +\(offset): exponent \(exponent)")
            }
        }
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        var a = try #require(SyntheticTensorData(type: Self.type("Q4_K"), seed: 1))
        var b = try #require(SyntheticTensorData(type: Self.type("Q4_K"), seed: 1))
        var c = try #require(SyntheticTensorData(type: Self.type("Q4_K"), seed: 2))
        let first = a.next(blocks: 3)
        #expect(first == b.next(blocks: 3))
        #expect(first != c.next(blocks: 3))
        #expect(first.count == 3 * 144)
    }

    @Test func refusesWhatItCannotWrite() throws {
        #expect(SyntheticTensorData(type: Self.type("IQ4_XS"), seed: 0) == nil)
        let iq = SyntheticModel(
            name: "x",
            layers: 1,
            embedding: 256,
            feedForward: 256,
            heads: 4,
            kvHeads: 4,
            weightType: "IQ4_XS"
        )
        #expect(throws: SyntheticModel.ShapeError.self) { try iq.header(quants: Self.quants) }
        var heads = iq
        heads.weightType = "Q8_0"
        heads.heads = 3
        #expect(throws: SyntheticModel.ShapeError.self) { try heads.header(quants: Self.quants) }
        var used = heads
        used.heads = 4
        used.experts = 4
        used.expertsUsed = 5
        #expect(throws: SyntheticModel.ShapeError.self) { try used.header(quants: Self.quants) }
    }

    @Test func refusesPartialBlocksDuplicatesAndBadAlignment() throws {
        let q4k = Self.type("Q4_K")
        let partial = GGUFHeader(metadata: [], tensors: [.init(name: "w", shape: [100, 2], type: q4k)])
        #expect(throws: GGUFHeader.WriteError.partialBlocks(tensor: "w", type: "Q4_K", row: 100)) {
            try partial.encoded()
        }
        let twice = GGUFHeader(metadata: [("a", .bool(true)), ("a", .bool(false))], tensors: [])
        #expect(throws: GGUFHeader.WriteError.duplicateKey("a")) { try twice.encoded() }
        let tensorTwice = GGUFHeader(
            metadata: [],
            tensors: [.init(name: "w", shape: [256], type: q4k), .init(name: "w", shape: [256], type: q4k)]
        )
        #expect(throws: GGUFHeader.WriteError.duplicateTensor("w")) { try tensorTwice.encoded() }
        #expect(throws: GGUFHeader.WriteError.badAlignment(48)) {
            try GGUFHeader(metadata: [], tensors: [], alignment: 48).encoded()
        }
        #expect(throws: GGUFHeader.WriteError.badShape(tensor: "w")) {
            try GGUFHeader(metadata: [], tensors: [.init(name: "w", shape: [], type: q4k)]).encoded()
        }
    }

    /// A non-default alignment is written as `general.alignment`, and the reader honours it.
    @Test func alignmentIsWrittenAndHonoured() throws {
        let f32 = Self.type("F32")
        let header = GGUFHeader(
            metadata: [("general.architecture", .string("llama"))],
            tensors: [.init(name: "a", shape: [3], type: f32), .init(name: "b", shape: [5], type: f32)],
            alignment: 64
        )
        let (offsets, dataBytes) = try header.layout()
        #expect(offsets == [0, 64])
        #expect(dataBytes == 128)
        let head = try header.encoded()
        #expect(head.count % 64 == 0)
        var reader = GGUFReader(source: GGUFBuffer(head + [UInt8](repeating: 0, count: 128)), table: Self.quants)
        let file = try reader.read()
        #expect(file.alignment == 64)
        #expect(file.metadata["general.alignment"] == .uint(64))
        #expect(file.tensors.map(\.offset) == [0, 64])
    }
}

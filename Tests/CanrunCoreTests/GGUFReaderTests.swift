import CanrunCore
import Foundation
import Testing

/// The GGUF reader against files written by the reference writer (gguf-py 0.19.0, llama.cpp's
/// own; scripts/make-gguf-fixtures.py), each with the writer's account in NAME.expected.json.
struct GGUFReaderTests {
    struct Expected: Decodable {
        struct Tensor: Decodable {
            var name: String
            var shape: [Int64]
            var type: String
            var bytes: Int64
            var data_offset: UInt64
        }
        var architecture: String
        var tensors: [Tensor]
        var version: UInt32
        var vocab_size: Int
    }

    static let names = ["tiny-llama-f16", "tiny-llama-q8_0", "tiny-llama-q4_k", "tiny-qwen3moe-q8_0"]

    static func bytes(_ name: String) throws -> [UInt8] { Array(try CoreFixtures.data("gguf/\(name).gguf")) }

    static func read(_ bytes: [UInt8]) throws -> GGUFFile {
        var reader = GGUFReader(source: GGUFBuffer(bytes), table: ShippedCatalog.quants)
        return try reader.read()
    }

    @Test(arguments: names)
    func agreesWithTheWriter(_ name: String) throws {
        let expected = try JSONDecoder().decode(
            Expected.self,
            from: try CoreFixtures.data("gguf/\(name).expected.json")
        )
        let file = try Self.read(try Self.bytes(name))
        #expect(file.version == expected.version)
        #expect(file.metadata["general.architecture"]?.stringValue == expected.architecture)
        #expect(file.tensors.map(\.name) == expected.tensors.map(\.name))
        #expect(file.tensors.map(\.shape) == expected.tensors.map(\.shape))
        #expect(file.tensors.map(\.typeName) == expected.tensors.map(\.type))
        #expect(file.tensors.map(\.bytes) == expected.tensors.map(\.bytes))
        // gguf-py reports absolute data offsets.
        #expect(file.tensors.map { $0.offset + file.dataOffset } == expected.tensors.map(\.data_offset))
        let model = try GGUFModel(parts: [file], id: name)
        #expect(model.spec.vocabSize == expected.vocab_size)
        #expect(model.weightsBytes == expected.tensors.reduce(0) { $0 + $1.bytes })
    }

    /// Every metadata value type, nested arrays included, as written.
    @Test func readsEveryValueType() throws {
        let m = try Self.read(try Self.bytes("tiny-llama-f16")).metadata
        #expect(m["test.u8"] == .uint(200))
        #expect(m["test.i8"] == .int(-100))
        #expect(m["test.u16"] == .uint(60000))
        #expect(m["test.i16"] == .int(-30000))
        #expect(m["test.u32"] == .uint(4_000_000_000))
        #expect(m["test.i32"] == .int(-2_000_000_000))
        #expect(m["test.f32"] == .float(1.5))
        #expect(m["test.bool"] == .bool(true))
        #expect(m["test.string"] == .string("ünïcödé ✓"))
        #expect(m["test.u64"] == .uint(9_223_372_036_854_775_813))
        #expect(m["test.i64"] == .int(-4_611_686_018_427_387_904))
        #expect(m["test.f64"] == .float(2.25))
        #expect(m["test.array_i32"] == .array([.int(1), .int(-2), .int(3)]))
        #expect(m["test.array_nested"] == .array([.array([.int(1), .int(2)]), .array([.int(3)])]))
        #expect(m["test.array_strings"] == .array([.string("a"), .string("bc"), .string("")]))
    }

    /// The architecture a model file describes: the tiny Llama's shape and the MoE's experts.
    @Test func describesTheModel() throws {
        let llama = try GGUFModel(parts: [try Self.read(try Self.bytes("tiny-llama-q4_k"))], id: "t")
        #expect(llama.spec.numHiddenLayers == 2)
        #expect(llama.spec.hiddenSize == 256)
        #expect(llama.spec.intermediateSize == 512)
        #expect(llama.spec.numKeyValueHeads == 2)
        #expect(llama.spec.headDim == 64)
        #expect(llama.spec.maxPositionEmbeddings == 2048)
        #expect(!llama.spec.tieWordEmbeddings)
        #expect(llama.bytesByType["Q6_K"] == Int64(256 * 256 / 256 * 210))
        let moe = try GGUFModel(parts: [try Self.read(try Self.bytes("tiny-qwen3moe-q8_0"))], id: "m")
        #expect(moe.spec.numExperts == 4)
        #expect(moe.spec.numExpertsPerTok == 2)
        #expect(moe.spec.moeIntermediateSize == 32)
        #expect(moe.spec.qkNorm == true)
        // Per layer: gate and up (64-wide rows, 32 × 4 of them) in Q4_0, down (32-wide rows) in Q8_0.
        let gateUp: Int64 = 2 * (64 * 32 * 4 / 32 * 18)
        let down: Int64 = 32 * 64 * 4 / 32 * 34
        #expect(moe.expertBytes == 2 * (gateUp + down))
    }

    /// A GGUF file is fitted with its own weights: the tensor table's exact bytes, the embedding
    /// table (its own output head, so untied) left out of what a token reads.
    @Test func fitUsesTheFileWeights() throws {
        let file = try Self.read(try Self.bytes("tiny-llama-q4_k"))
        let llama = try GGUFModel(parts: [file], id: "t")
        let embedding = try #require(file.tensors.first { $0.name == "token_embd.weight" })
        #expect(llama.embeddingBytes == embedding.bytes)
        #expect(llama.weights.bytes == file.tensorBytes)
        var request = FitEngine.Request(model: llama.spec, quant: llama.weights.quant, context: 2048)
        request.weights = llama.weights
        let report = try FitEngineTests.engine.fit(request, machine: FitEngineTests.machine(ramGiB: 8, readGBs: 20))
        #expect(report.memory.weightsBytes == file.tensorBytes)
        #expect(report.basis.bytesPerToken == file.tensorBytes - embedding.bytes)
        #expect(report.reasons.contains("weights measured exactly from the file's tensor table"))
    }

    /// Every prefix of a real header is an error, never a crash or a hang.
    @Test func everyTruncationIsAnError() throws {
        let bytes = try Self.bytes("tiny-qwen3moe-q8_0")
        let header = try Self.read(bytes).dataOffset
        for length in stride(from: 0, to: Int(header) + 64, by: 7) {
            #expect(throws: GGUFError.self) { try Self.read(Array(bytes.prefix(length))) }
        }
    }

    /// Random mutations of real headers (seeded, so failures reproduce): any outcome but a crash.
    /// The long run is `scripts/fuzz.sh gguf 600` (libFuzzer, the whole pipeline to a fit).
    @Test func randomMutationsNeverCrash() throws {
        var generator = SplitMix64(seed: 0xC0FFEE)
        for name in Self.names {
            let original = try Self.bytes(name)
            let header = Int(try Self.read(original).dataOffset)
            for _ in 0..<300 {
                var mutated = original
                for _ in 0..<Int(generator.next() % 8 + 1) {
                    let at = Int(generator.next() % UInt64(header))
                    mutated[at] = UInt8(truncatingIfNeeded: generator.next())
                }
                _ = try? Self.read(mutated)
            }
        }
    }

    @Test func hostileHeadersGiveClearErrors() throws {
        func header(tensors: UInt64, kv: UInt64, tail: [UInt8] = []) -> [UInt8] {
            Array("GGUF".utf8) + le(UInt32(3)) + le(tensors) + le(kv) + tail
        }
        #expect(throws: GGUFError.notGGUF) { try Self.read(Array("GGML".utf8) + [0, 0, 0, 0]) }
        #expect(throws: GGUFError.unsupportedVersion(1)) { try Self.read(Array("GGUF".utf8) + le(UInt32(1))) }
        #expect(throws: GGUFError.self) { try Self.read(header(tensors: 1 << 40, kv: 0)) }
        #expect(throws: GGUFError.self) { try Self.read(header(tensors: 0, kv: UInt64.max)) }
        // A string that claims to be larger than the file.
        let hugeKey = le(UInt64(1) << 60)
        #expect(throws: GGUFError.self) {
            try Self.read(header(tensors: 0, kv: 1, tail: hugeKey + Array(repeating: 0, count: 32)))
        }
        // An array of 2^60 uint8 in a tiny file.
        let key = le(UInt64(1)) + [UInt8(ascii: "a")]
        let array = le(UInt32(9)) + le(UInt32(0)) + le(UInt64(1) << 60)
        #expect(throws: GGUFError.self) { try Self.read(header(tensors: 0, kv: 1, tail: key + array + [0, 0, 0, 0])) }
        // Arrays nested 9 deep.
        var nested = le(UInt32(9))
        for _ in 0..<9 { nested += le(UInt32(9)) + le(UInt64(1)) }
        #expect(throws: GGUFError.self) {
            try Self.read(header(tensors: 0, kv: 1, tail: key + nested + Array(repeating: 0, count: 64)))
        }
        // A tensor with 5 dimensions, and one of a type canrun does not know.
        let name = le(UInt64(1)) + [UInt8(ascii: "t")]
        #expect(throws: GGUFError.self) {
            try Self.read(header(tensors: 1, kv: 0, tail: name + le(UInt32(5)) + Array(repeating: 1, count: 64)))
        }
        let unknown = name + le(UInt32(1)) + le(UInt64(32)) + le(UInt32(99)) + le(UInt64(0))
        #expect(throws: GGUFError.unknownTensorType(tensor: "t", id: 99)) {
            try Self.read(header(tensors: 1, kv: 0, tail: unknown + Array(repeating: 0, count: 64)))
        }
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}

/// A small, seedable generator for reproducible fuzzing (Steele, Lea and Flood's SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// YaRN in a GGUF's metadata, as llama.cpp's convert_hf_to_gguf.py writes config.json's
/// `rope_scaling` (`ARCH.rope.scaling.type` "yarn", `.factor`, `.original_context_length`): the
/// model reaches factor × original tokens, from the file alone (issue 13).
struct GGUFRopeScalingTests {
    /// tiny-llama-f16.gguf with four more key/value pairs inserted after its own. Their bytes
    /// total a multiple of the 32-byte alignment, so the data section moves whole and every
    /// tensor's offset stays right.
    static func withYaRN(factor: Float, original: UInt32) throws -> [UInt8] {
        var bytes = try GGUFReaderTests.bytes("tiny-llama-f16")
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian, Array.init) }
        func key(_ k: String) -> [UInt8] { le(UInt64(k.utf8.count)) + Array(k.utf8) }
        func string(_ s: String) -> [UInt8] { le(UInt32(8)) + le(UInt64(s.utf8.count)) + Array(s.utf8) }
        var extra = key("llama.rope.scaling.type") + string("yarn")
        extra += key("llama.rope.scaling.factor") + le(UInt32(6)) + le(factor.bitPattern)
        extra += key("llama.rope.scaling.original_context_length") + le(UInt32(4)) + le(original)
        let padding = key("canrun.test.pad") + string("")
        let fill = (32 - (extra.count + padding.count) % 32) % 32
        extra += key("canrun.test.pad") + string(String(repeating: "x", count: fill))
        #expect(extra.count % 32 == 0)
        // After magic and version: tensor count, then the key/value count.
        let kvCount = bytes[16..<24].enumerated().reduce(UInt64(0)) {
            $0 | UInt64($1.element) << (8 * UInt64($1.offset))
        }
        bytes.replaceSubrange(16..<24, with: le(kvCount + 4))
        // The pairs end where the first tensor's name begins: find it by reading the file once.
        let file = try GGUFReaderTests.read(try GGUFReaderTests.bytes("tiny-llama-f16"))
        let firstTensor = try #require(file.tensors.first?.name)
        let nameBytes = le(UInt64(firstTensor.utf8.count)) + Array(firstTensor.utf8)
        let at = try #require(
            (24..<bytes.count - nameBytes.count).first { bytes[$0..<$0 + nameBytes.count].elementsEqual(nameBytes) }
        )
        bytes.insert(contentsOf: extra, at: at)
        return bytes
    }

    @Test func yarnInTheMetadataReachesItsContext() throws {
        let bytes = try Self.withYaRN(factor: 4, original: 2048)
        let model = try GGUFModel(parts: [try GGUFReaderTests.read(bytes)], id: "tiny-yarn")
        #expect(model.spec.ropeScaling == "yarn")
        #expect(model.spec.yarnFactor == 4)
        #expect(model.spec.yarnOriginalContext == 2048)
        #expect(model.spec.yarnMaxContext == 8192)
        #expect(model.spec.yarnSource == "GGUF metadata rope.scaling")
        // The tensors read as before: the data section moved whole.
        let plain = try GGUFModel(
            parts: [try GGUFReaderTests.read(try GGUFReaderTests.bytes("tiny-llama-f16"))],
            id: "tiny"
        )
        #expect(model.weightsBytes == plain.weightsBytes)
        let report = try FitEngineTests.engine.fit(
            .init(model: model.spec, quant: "F16", context: 8192),
            machine: FitEngineTests.machine(ramGiB: 8, readGBs: 30)
        )
        #expect(report.fits)
        #expect(report.launch["llama.cpp"]?.contains("--rope-scaling yarn --rope-scale 4 --yarn-orig-ctx 2048") == true)
    }

    /// A factor out of bounds leaves the model at its trained context.
    @Test func anImplausibleFactorIsIgnored() throws {
        let bytes = try Self.withYaRN(factor: 1e9, original: 2048)
        let model = try GGUFModel(parts: [try GGUFReaderTests.read(bytes)], id: "tiny-yarn")
        #expect(model.spec.yarnFactor == nil)
        #expect(model.spec.usableContext == 2048)
    }
}

/// config.json's dynamic NTK scaling is transformers' alone: a longer context is refused saying so.
struct DynamicNTKTests {
    @Test func aDynamicNTKModelIsRefusedBeyondItsTraining() throws {
        let json = #"""
            {"architectures": ["LlamaForCausalLM"], "num_hidden_layers": 2, "hidden_size": 256,
             "intermediate_size": 512, "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 1000,
             "max_position_embeddings": 4096, "rope_scaling": {"type": "dynamic", "factor": 2.0}}
            """#
        let (spec, _) = try HFConfigReader.read(Data(json.utf8), id: "d")
        #expect(spec.ropeScaling == "dynamic")
        #expect(spec.yarnFactor == nil)
        do {
            _ = try FitEngineTests.engine.fit(
                .init(model: spec, quant: "Q8_0", context: 8192),
                machine: FitEngineTests.machine(ramGiB: 8, readGBs: 30)
            )
            Issue.record("a context beyond training must be refused")
        } catch {
            #expect("\(error)".contains("dynamic NTK rope scaling is transformers' alone"))
        }
    }
}

// Mutation fuzzing of canrun's GGUF header reader, for a fixed time (default 600 s):
//   swift run -c release GGUFFuzz [seconds] [seed]
// Inputs are the reference-writer fixtures of Tests/Fixtures/gguf, mutated by byte flips,
// overwritten integers (0, 1, max, powers of two), truncation and splicing. A crash ends the
// process (and the run); otherwise it prints how many inputs were read, rejected and accepted.
import CanrunCore
import Foundation

let seconds = CommandLine.arguments.dropFirst().first.flatMap { Double($0) } ?? 600
var state = CommandLine.arguments.dropFirst(2).first.flatMap { UInt64($0) } ?? 0x5EED_CAFE

@MainActor
func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
let quants = try QuantTable(
    toml: String(contentsOf: root.appendingPathComponent("config/quants.toml"), encoding: .utf8)
)
let fixtures = try FileManager.default.contentsOfDirectory(
    atPath: root.appendingPathComponent("Tests/Fixtures/gguf").path
).filter { $0.hasSuffix(".gguf") }.sorted().map {
    Array(try Data(contentsOf: root.appendingPathComponent("Tests/Fixtures/gguf/" + $0)))
}

func headerLength(_ bytes: [UInt8]) -> Int {
    var reader = GGUFReader(source: GGUFBuffer(bytes), table: quants)
    return (try? reader.read()).map { Int($0.dataOffset) } ?? bytes.count
}
// Mutating the header is what matters; the data is never read.
let corpus = fixtures.map { Array($0.prefix(headerLength($0) + 256)) }
let interesting: [UInt64] = [0, 1, 2, 4, 5, 0x7F, 0x80, 0xFF, 0xFFFF, 0xFFFF_FFFF, 1 << 32, 1 << 40, 1 << 62, .max]

@MainActor
func mutate(_ input: [UInt8]) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int(next() % 4 + 1) {
        guard !bytes.isEmpty else { break }
        let at = Int(next() % UInt64(bytes.count))
        switch next() % 5 {
        case 0: bytes[at] ^= UInt8(1 << (next() % 8))
        case 1: bytes[at] = UInt8(truncatingIfNeeded: next())
        case 2:
            let value = interesting[Int(next() % UInt64(interesting.count))]
            for i in 0..<8 where at + i < bytes.count {
                bytes[at + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))
            }
        case 3: bytes = Array(bytes.prefix(at))
        default:
            let other = corpus[Int(next() % UInt64(corpus.count))]
            let from = Int(next() % UInt64(other.count))
            bytes = Array(bytes.prefix(at)) + other[from...]
        }
    }
    return bytes
}

let start = Date()
var inputs = 0
var accepted = 0
var rejected: [String: Int] = [:]
while Date().timeIntervalSince(start) < seconds {
    for _ in 0..<200 {
        let input = mutate(corpus[Int(next() % UInt64(corpus.count))])
        var reader = GGUFReader(source: GGUFBuffer(input), table: quants)
        do {
            _ = try reader.read()
            accepted += 1
        } catch let error as GGUFError {
            let kind = String(String(describing: error).split(separator: ":").first ?? "?").filter { !$0.isNumber }
            rejected[kind, default: 0] += 1
        }
        inputs += 1
    }
}
let elapsed = Date().timeIntervalSince(start)
print(
    String(
        format: "GGUF fuzz: %d inputs in %.0f s (%.0f/s), no crash; %d accepted",
        inputs,
        elapsed,
        Double(inputs) / elapsed,
        accepted
    )
)
for (kind, count) in rejected.sorted(by: { $0.value > $1.value }).prefix(12) { print("  rejected \(count): \(kind)") }

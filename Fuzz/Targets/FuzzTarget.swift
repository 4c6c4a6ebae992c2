/// The inputs canrun takes from outside that are fuzzed, each through to the answer it feeds
/// (`scripts/fuzz.sh TARGET SECONDS`): a crash, a hang, a runaway allocation or a broken
/// invariant (`FuzzInvariant`) is a finding, kept in `Tests/Fixtures/fuzz/TARGET/`.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// A GGUF file's bytes, read, turned into a model, and fitted as `canrun fit FILE.gguf` does.
    case gguf
    /// A Hugging Face `config.json` (a file, or the body of `POST /v1/fit`), fitted at every rung.
    case configJSON = "config-json"
    /// Machine facts as a recording holds them, through the probe's readers to a profile and a
    /// fit: the first byte picks dmidecode text, a raw SMBIOS table, hwloc XML or a replay tree.
    case probe
    /// `canrun.toml` and its drop-ins, merged as canrund loads them.
    case canrunTOML = "canrun-toml"

    /// What one input does. Rejections are answers (the input was refused with an error); only
    /// a broken invariant throws.
    public func run(_ input: [UInt8], world: FuzzWorld) throws(FuzzInvariant) -> FuzzOutcome {
        switch self {
        case .gguf: try GGUFPipeline.run(input, world: world)
        case .configJSON: try ConfigJSONPipeline.run(input, world: world)
        case .probe: try ProbePipeline.run(input, world: world)
        case .canrunTOML: try CanrunTOMLPipeline.run(input)
        }
    }

    /// The largest input worth trying: past it every reader refuses on size alone, which
    /// teaches the fuzzer nothing.
    public var maxInputBytes: Int {
        switch self {
        case .gguf: 64 << 10
        case .configJSON: 16 << 10
        case .probe: 256 << 10
        case .canrunTOML: 8 << 10
        }
    }
}

/// What became of one input.
public enum FuzzOutcome: Sendable, Equatable, CustomStringConvertible {
    /// The input was taken; the string says what it gave (verdicts, the profile's facts).
    case accepted(String)
    /// The input was refused: the error's kind (its type and, for an enum, its case), which the
    /// fuzzer tallies, and the message a user reads.
    case rejected(kind: String, message: String)

    /// One line: a saved input's `EXPECTED` entry.
    public var description: String {
        switch self {
        case .accepted(let what): "accepted: \(what)"
        case .rejected(let kind, let message):
            "rejected: \(kind): \(message.split(separator: "\n").joined(separator: " / "))"
        }
    }

    /// The outcome of `error`, kind and message.
    static func rejection(_ error: any Error) -> FuzzOutcome {
        let mirror = Mirror(reflecting: error)
        var kind = "\(type(of: error))"
        if mirror.displayStyle == .enum {
            kind += "." + (mirror.children.first?.label ?? String("\(error)".prefix { $0.isLetter }))
        }
        return .rejected(kind: kind, message: "\(error)")
    }
}

/// An answer canrun must never give, whatever the input: it is lying, not refusing.
public struct FuzzInvariant: Error, Sendable, Equatable, CustomStringConvertible {
    public var target: String
    public var message: String

    public init(_ target: String, _ message: String) {
        self.target = target
        self.message = message
    }

    public var description: String { "\(target): \(message)" }
}

/// Why a file is not a readable GGUF header. Every count and length is checked against the
/// bytes that remain before anything is allocated, so a hostile file fails here, not later.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case notGGUF
    case unsupportedVersion(UInt32)
    case truncated(at: UInt64, needed: String)
    case implausible(String)
    case unknownTensorType(tensor: String, id: UInt32)
    case inconsistent(String)
    /// The metadata describes no real model (`ModelBounds`); the key is the GGUF's own.
    case invalidModel(ModelValidationError)

    public var description: String {
        switch self {
        case .notGGUF: "not a GGUF file (the first 4 bytes are not \"GGUF\")"
        case .unsupportedVersion(let v):
            "GGUF version \(v) is not supported (canrun reads versions 2 and 3; version 1 files predate August 2023: reconvert them)"
        case .truncated(let at, let needed): "GGUF header is truncated at byte \(at): \(needed) is missing"
        case .implausible(let what): "GGUF header is corrupt: \(what)"
        case .unknownTensorType(let tensor, let id):
            "tensor \(tensor) has ggml type \(id), which canrun's quants.toml does not know (a newer GGUF? update canrun)"
        case .inconsistent(let what): "GGUF file is inconsistent: \(what)"
        case .invalidModel(let error): "GGUF metadata: \(error)"
        }
    }
}

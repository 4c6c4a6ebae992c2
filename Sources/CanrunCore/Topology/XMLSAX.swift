import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Foundation's SAX parser as canrun's readers use it: external entities never resolved (the
/// inputs are files from other machines), and a failure reported with its line.
enum XMLSAX {
    struct Failure: Error, Equatable {
        var line: Int
        var reason: String
    }

    /// Parses `data`, calling `delegate`; `nil` on success. Bytes that are not UTF-8 are refused
    /// before parsing: Foundation's parser traps on a name that is not (it force-unwraps its
    /// UTF-8 conversion), and every XML canrun reads (hwloc, nvidia-smi) is written in UTF-8.
    static func parse(_ data: Data, delegate: any XMLParserDelegate) -> Failure? {
        if let offset = firstInvalidUTF8(data) {
            let line = data.prefix(offset).reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
            return Failure(line: line, reason: "byte \(offset) is not UTF-8 (canrun reads XML written in UTF-8)")
        }
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        if parser.parse() { return nil }
        let reason = parser.parserError.map { String(describing: $0) } ?? "unknown parser error"
        return Failure(line: parser.lineNumber, reason: reason)
    }

    /// The offset of the first byte that does not start or continue a UTF-8 scalar; nil when
    /// all of `data` is UTF-8.
    static func firstInvalidUTF8(_ data: Data) -> Int? {
        var bytes = data.makeIterator()
        var parser = Unicode.UTF8.ForwardParser()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &bytes) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }
}

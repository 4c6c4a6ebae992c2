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

    /// Parses `data`, calling `delegate`; `nil` on success.
    static func parse(_ data: Data, delegate: any XMLParserDelegate) -> Failure? {
        let parser = XMLParser(data: data)
        parser.shouldResolveExternalEntities = false
        parser.delegate = delegate
        if parser.parse() { return nil }
        let reason = parser.parserError.map { String(describing: $0) } ?? "unknown parser error"
        return Failure(line: parser.lineNumber, reason: reason)
    }
}

import Foundation
import TOMLKit

/// TOML text as JSON, parsed once per distinct text for the life of the process.
///
/// TOMLKit 0.6 never frees what it parses (`TOMLTable` has no `deinit`, and each conversion
/// and key listing allocates C strings nobody frees): every parse of the catalog and the data
/// files cost canrund about 1.5 MB per reload, 60 reloads 90 MB (issue 11, heaptrack). So every
/// TOML file canrun reads goes through here: the same text parsed again — every reload of an
/// unchanged file — is answered from memory without calling TOMLKit, and only a changed file
/// costs a parse. The JSON keeps TOML's keys, so `Decodable` types decode it with the same
/// coding keys.
public enum TOMLDocument {
    /// Why a text is not TOML: the parser's message and the line (1-based) it stopped at.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var message: String
        public var line: Int?

        public var description: String { line.map { "line \($0): \(message)" } ?? message }
    }

    /// The document as JSON (a top-level object).
    public static func json(_ text: String) throws(ParseError) -> Data {
        try memo.result(for: text) {
            if let error = TOMLGrammarCheck.firstAbortingMistake(text) { return .failure(error) }
            do {
                let table = try TOMLTable(string: text)
                return .success(Data(table.convert(to: .json).utf8))
            } catch let error as TOMLParseError {
                return .failure(ParseError(message: error.description, line: error.source.begin.line))
            } catch {
                return .failure(ParseError(message: "\(error)", line: nil))
            }
        }.get()
    }

    /// The document's top-level table.
    public static func object(_ text: String) throws(ParseError) -> [String: Any] {
        let data = try json(text)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ParseError(message: "values TOML allows but JSON cannot carry (inf or nan?)", line: nil)
        }
        return object
    }

    /// The document decoded as `type` (its coding keys the TOML keys).
    public static func decode<T: Decodable>(_ type: T.Type, from text: String) throws -> T {
        try JSONDecoder().decode(type, from: try json(text))
    }

    /// An integer value of a decoded document: TOML integers only (not booleans, not floats).
    public static func integer(_ value: Any?) -> Int? {
        guard let number = value as? NSNumber, type(of: number) != boolean else { return nil }
        let kind = String(cString: number.objCType)
        guard kind != "d", kind != "f" else { return nil }
        return value as? Int
    }

    /// A boolean value of a decoded document (not the numbers 0 and 1).
    public static func boolean(_ value: Any?) -> Bool? {
        guard let number = value as? NSNumber, type(of: number) == boolean else { return nil }
        return number.boolValue
    }

    /// A number (integer or float) of a decoded document, not a boolean.
    public static func number(_ value: Any?) -> Double? {
        guard let number = value as? NSNumber, type(of: number) != boolean else { return nil }
        return number.doubleValue
    }

    private static let boolean = type(of: NSNumber(value: true))

    /// The parses made so far, by text. Bounded: past `capacity` distinct texts the oldest is
    /// forgotten (a file edited that often pays a parse per edit anyway).
    private static let memo = Memo(capacity: 128)

    private final class Memo: @unchecked Sendable {
        private let lock = NSLock()
        private var results: [String: Result<Data, ParseError>] = [:]
        private var order: [String] = []
        private let capacity: Int

        init(capacity: Int) { self.capacity = capacity }

        func result(for text: String, parse: () -> Result<Data, ParseError>) -> Result<Data, ParseError> {
            lock.lock()
            defer { lock.unlock() }
            if let known = results[text] { return known }
            let parsed = parse()
            if order.count >= capacity { results[order.removeFirst()] = nil }
            order.append(text)
            results[text] = parsed
            return parsed
        }
    }
}

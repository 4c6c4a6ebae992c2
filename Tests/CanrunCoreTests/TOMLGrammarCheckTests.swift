import Foundation
import Testing

@testable import CanrunCore

/// TOML toml++ 3 would abort on (its assertions, found by fuzzing `canrun.toml`) is refused
/// first with a parse error; everything the parser reads correctly still reaches it.
struct TOMLGrammarCheckTests {
    @Test(arguments: [
        ("[@erver]\nmax = 1\n", 1, "'@'"),
        ("a = 1\n\n[\n", 3, "the end of the line"),
        ("[[ !models]]\n", 1, "'!'"),
        ("# comment\n[ \t=x]\n", 2, "'='"),
        ("x = \"\"\"\nmulti\n\"\"\"\n[.a]\n", 4, "'.'"),
        ("x = [1,\n 2]\n[{a}]\n", 3, "'{'"),
        // A byte-order mark the parser skips (found by fuzzing after the first fix).
        ("\u{FEFF}[`Q\u{5}", 1, "'`'"),
    ])
    func headersTheParserWouldAbortOnAreRefused(_ text: String, _ line: Int, _ shown: String) throws {
        let error = try #require(TOMLGrammarCheck.firstAbortingMistake(text))
        #expect(error.line == line)
        #expect(error.message.hasSuffix("not \(shown)"))
        #expect(throws: TOMLDocument.ParseError.self) { try TOMLDocument.json(text) }
    }

    @Test(arguments: [
        ("x = [[[}]]]\n", 1, "'}' inside an array"),
        ("[a]\nx = [\n  1,\n  }\n]\n", 4, "'}' inside an array"),
        ("x = [\u{2028}1]\n", 1, "U+2028 is not a TOML line break"),
        ("a = 1\u{85}b = 2\n", 1, "U+85 is not a TOML line break"),
        // A date, a space and a one-digit hour (the fourth finding, reduced).
        ("d = 1979-05-27 0\n", 1, "a date-time needs a two-digit hour"),
        ("[sx]\nm= 66\u{FFFD};----dr 0#\n", 2, "a date-time needs a two-digit hour"),
        ("x = [1979-05-27 7, 1]\n", 1, "a date-time needs a two-digit hour"),
        ("x = 1_979-05-27 7]\n", 1, "a date-time needs a two-digit hour"),
    ])
    func valuesTheParserWouldAbortOnAreRefused(_ text: String, _ line: Int, _ message: String) throws {
        let error = try #require(TOMLGrammarCheck.firstAbortingMistake(text))
        #expect(error.line == line)
        #expect(error.message.hasPrefix(message))
        #expect(throws: TOMLDocument.ParseError.self) { try TOMLDocument.json(text) }
    }

    /// `[` starting a line inside a value, a string or a comment is no header.
    @Test(arguments: [
        "[server]\nmax_connections = 8\n",
        "[ \"quoted key\" ]\n[[array.of-tables]]\n['literal']\n",
        "x = [\n  [1, 2],\n  [ +1 ],\n  [{ a = 1 }],\n]\n",
        "s = \"\"\"\n[@not a header]\n\"\"\"\nl = '''\n[!neither]\n'''\n",
        "# [@comment]\nk = \"[@string] \\\" ]\"\n",
        "t = [{ a = [1] }, { b = \"}\" }]\ns = \"\u{2028} in a string\"\n",
        "d = 1979-05-27 07:32:00\nt = 1979-05-27T07:32:00Z\nl = 1979-05-27\na = [1979-05-27 , 2]\n",
        "n = 1234-06-09\ns = \"1979-05-27 0 \"\n",
    ])
    func everythingElseReachesTheParser(_ text: String) throws {
        #expect(TOMLGrammarCheck.firstAbortingMistake(text) == nil)
        _ = try TOMLDocument.json(text)
    }

    /// Every TOML file canrun ships passes.
    @Test func theShippedFilesPass() throws {
        let config = CoreFixtures.repository + "/config"
        let files =
            ["canrun.toml", "efficiency.toml", "gpus.toml", "presets.toml", "quants.toml"]
            + (try FileManager.default.contentsOfDirectory(atPath: config + "/models")).map { "models/" + $0 }
        #expect(files.count > 10)
        for file in files where file.hasSuffix(".toml") {
            let text = try String(contentsOfFile: config + "/" + file, encoding: .utf8)
            #expect(TOMLGrammarCheck.firstAbortingMistake(text) == nil, "\(file)")
        }
    }
}

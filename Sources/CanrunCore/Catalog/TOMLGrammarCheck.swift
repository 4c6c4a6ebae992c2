/// The TOML mistakes canrun must catch before TOMLKit's parser sees them. toml++ 3 checks some
/// of its grammar with assertions, not errors, so these abort the process (and where assertions
/// are compiled out, the parser assumes them, which is undefined behaviour):
/// - a table header whose key starts with a character no key can (`[@server]`, a lone `[`);
/// - a value in an array that starts with `}` (`x = [}`) or a line break TOML does not know
///   (U+0085, U+2028, U+2029: never valid outside a string);
/// - a value of ten characters shaped like a date (`1979-05-27`), a space, one digit and then
///   the value's end (`1979-05-27 0#`): the parser takes it for a date-time with a space and
///   asserts that the digit goes on. A date-time's hour has two digits, so no valid value is
///   refused.
/// Found by fuzzing `canrun.toml`; any TOML file a user hands canrun (`models.d`, the
/// configuration) could do it.
///
/// The text is walked as TOML's grammar reads it: strings (basic, literal, multi-line) and
/// comments are skipped, and a `[` is a table header only at the start of a line outside any
/// value (a line of a multi-line array starting with `[` is a value).
enum TOMLGrammarCheck {
    /// The first of these mistakes, as the parse error the parser should have given; nil when
    /// there is none.
    static func firstAbortingMistake(_ text: String) -> TOMLDocument.ParseError? {
        let s = Array(text.unicodeScalars)
        // The parser drops a byte-order mark that starts the text.
        var i = s.first == "\u{FEFF}" ? 1 : 0
        var line = 1
        // The values open here: `[` an array, `{` an inline table.
        var open: [Unicode.Scalar] = []
        var atLineStart = true
        func isBare(_ c: Unicode.Scalar) -> Bool {
            ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "_" || c == "-"
        }
        while i < s.count {
            let c = s[i]
            switch c {
            case "\n":
                line += 1
                atLineStart = open.isEmpty
                i += 1
            case " ", "\t", "\r":
                i += 1
            case "#":
                while i < s.count, s[i] != "\n" { i += 1 }
            case "\"", "'":
                i = endOfString(s, from: i, line: &line)
                atLineStart = false
            case "[" where open.isEmpty && atLineStart:
                var j = i + 1
                if j < s.count, s[j] == "[" { j += 1 }
                while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
                if j < s.count, !isBare(s[j]), s[j] != "\"", s[j] != "'", s[j] != "]" {
                    let shown = s[j] == "\n" ? "the end of the line" : "'\(s[j].escaped(asASCII: true))'"
                    return .init(
                        message:
                            "a table header must start with a key (letters, digits, _ or -, or a quoted name), not \(shown)",
                        line: line
                    )
                }
                // A header's quoted keys hold no newline: the rest of the line is the header.
                while i < s.count, s[i] != "\n" { i += 1 }
            case "\u{85}", "\u{2028}", "\u{2029}":
                return .init(
                    message:
                        "U+\(String(c.value, radix: 16, uppercase: true)) is not a TOML line break (use a newline)",
                    line: line
                )
            case "}" where open.last == "[":
                return .init(message: "'}' inside an array: a value or ']' was expected", line: line)
            case "0"..."9" where i == 0 || !continuesValue(s[i - 1]):
                if isTruncatedDateTime(s, at: i) {
                    return .init(
                        message:
                            "a date-time needs a two-digit hour after the date and its space (1979-05-27 07:32:00)",
                        line: line
                    )
                }
                atLineStart = false
                i += 1
            default:
                if c == "[" || c == "{" { open.append(c) }
                if c == "]" || c == "}", !open.isEmpty { open.removeLast() }
                atLineStart = false
                i += 1
            }
        }
        return nil
    }

    /// Whether `c` can come before a digit inside one bare value or key (so the digit starts
    /// nothing).
    private static func continuesValue(_ c: Unicode.Scalar) -> Bool {
        c.properties.isASCIIHexDigit || ("a"..."z").contains(c) || ("A"..."Z").contains(c)
            || "_-+.:".unicodeScalars.contains(c) || c.value > 0x7F
    }

    /// What the parser's value scan does at a value starting with a digit at `start`: it reads up
    /// to the value's end (whitespace, `]`, `}`, `,`, `#`), counting every character but `_`; ten
    /// of them with `-` as the fifth and eighth, then a space and a digit, and it scans on after
    /// the digit asserting that no value end follows.
    private static func isTruncatedDateTime(_ s: [Unicode.Scalar], at start: Int) -> Bool {
        func ends(_ c: Unicode.Scalar) -> Bool {
            c.properties.isWhitespace || c == "]" || c == "}" || c == "," || c == "#"
        }
        var chars: [Unicode.Scalar] = []
        var i = start
        while i < s.count, !ends(s[i]), chars.count <= 10 {
            if s[i] != "_" { chars.append(s[i]) }
            i += 1
        }
        guard chars.count == 10, chars[4] == "-", chars[7] == "-" else { return false }
        guard i + 2 < s.count, s[i] == " ", ("0"..."9").contains(s[i + 1]) else { return false }
        return !("0"..."9").contains(s[i + 2])
    }

    /// The index after the string starting at `start` (its end of line when it is not closed
    /// there: the parser reports that).
    private static func endOfString(_ s: [Unicode.Scalar], from start: Int, line: inout Int) -> Int {
        let quote = s[start]
        let basic = quote == "\""
        if start + 2 < s.count, s[start + 1] == quote, s[start + 2] == quote {
            var i = start + 3
            while i < s.count {
                if basic, s[i] == "\\" {
                    i += 2
                    continue
                }
                if s[i] == "\n" { line += 1 }
                if s[i] == quote, i + 2 < s.count, s[i + 1] == quote, s[i + 2] == quote {
                    // Up to two more quotes may close the string's content ("""a"""").
                    var end = i + 3
                    while end < s.count, s[end] == quote, end < i + 5 { end += 1 }
                    return end
                }
                i += 1
            }
            return i
        }
        var i = start + 1
        while i < s.count, s[i] != "\n" {
            if basic, s[i] == "\\" {
                i += 2
                continue
            }
            if s[i] == quote { return i + 1 }
            i += 1
        }
        return i
    }
}

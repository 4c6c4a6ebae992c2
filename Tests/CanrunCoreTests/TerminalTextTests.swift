import CanrunCore
import Testing

/// Text from files and hardware on its way to a terminal (issue 11: `models show` printed a
/// GGUF's general.name raw). Sequences from ECMA-48 (CSI, OSC, DCS, the C1 forms) and the
/// Unicode bidi controls of the "Trojan Source" paper (CVE-2021-42574).
struct TerminalTextTests {
    static let mark = "\u{FFFD}"

    @Test(arguments: [
        // Plain names pass unchanged, non-ASCII included.
        ("Meta Llama 3.1 8B Instruct", "Meta Llama 3.1 8B Instruct"),
        ("AMD Ryzen™ 9 7950X — Zen 4", "AMD Ryzen™ 9 7950X — Zen 4"),
        // CSI: colour, clear screen, cursor moves, with parameters and intermediates.
        ("a\u{1B}[31mred\u{1B}[0m", "a\(mark)red\(mark)"),
        ("\u{1B}[2J\u{1B}[1;1H", "\(mark)\(mark)"),
        // OSC: window title (BEL-terminated) and an OSC 8 hyperlink (ST-terminated).
        ("\u{1B}]0;owned\u{07}name", "\(mark)name"),
        ("\u{1B}]8;;http://x\u{1B}\\click\u{1B}]8;;\u{1B}\\", "\(mark)click\(mark)"),
        // DCS and a two-character escape; an escape cut short at the end.
        ("\u{1B}Pq#0\u{1B}\\x", "\(mark)x"),
        ("\u{1B}cx", "\(mark)x"),
        ("x\u{1B}", "x\(mark)"),
        // C1 forms: CSI (U+009B), OSC (U+009D, ended by U+009C ST), a lone C1.
        ("\u{9B}31mred", "\(mark)red"),
        ("\u{9D}0;t\u{9C}x", "\(mark)x"),
        ("a\u{85}b", "a\(mark)b"),
        // C0 controls, tab and newline included (a field is one line), and DEL.
        ("line\nfake line", "line\(mark)fake line"),
        ("a\tb\rc\u{08}d\u{7F}", "a\(mark)b\(mark)c\(mark)d\(mark)"),
        // Bidi overrides, isolates and marks; the line separator.
        ("abc\u{202E}fed", "abc\(mark)fed"),
        ("\u{2066}x\u{2069}\u{200F}", "\(mark)x\(mark)\(mark)"),
        ("a\u{2028}b", "a\(mark)b"),
    ])
    func sequencesBecomeOnePlaceholder(_ input: String, _ expected: String) {
        #expect(TerminalText.sanitised(input) == expected)
    }

    /// Long text is cut at the limit, the cut said with "…"; an unterminated OSC swallows the
    /// rest of the text into one placeholder.
    @Test func lengthIsCapped() {
        #expect(TerminalText.sanitised(String(repeating: "a", count: 300)) == String(repeating: "a", count: 255) + "…")
        #expect(TerminalText.sanitised("abcdef", limit: 4) == "abc…")
        #expect(TerminalText.sanitised("abcd", limit: 4) == "abcd")
        #expect(TerminalText.sanitised("\u{1B}]0;" + String(repeating: "x", count: 100_000)) == Self.mark)
    }
}

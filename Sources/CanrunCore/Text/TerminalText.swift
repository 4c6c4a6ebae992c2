/// Text that came from a file or the hardware (a GGUF's `general.name`, a file name, a CPU
/// model, a GPU name, an error naming a path), made safe to print on a terminal: a GGUF must
/// not be able to move the cursor, retitle the window, hide text or plant a hyperlink.
///
/// Replaced by `placeholder`, each as a whole:
/// - escape sequences: `ESC [ … final` (CSI), `ESC ] … BEL/ST` (OSC), `ESC P|X|^|_ … ST`
///   (DCS, SOS, PM, APC), and `ESC` with one more character;
/// - the same introduced by their C1 forms (U+009B CSI, U+009D OSC, U+0090 DCS, …);
/// - every other control character: C0 (tab and newline included: a field is one line), DEL
///   and C1;
/// - bidirectional overrides, embeddings, isolates and marks (U+202A–U+202E, U+2066–U+2069,
///   U+200E, U+200F, U+061C), which reorder what follows them ("Trojan Source"), and the
///   line and paragraph separators U+2028/U+2029.
///
/// The result is at most `limit` Unicode scalars, `…` ending a cut one. JSON output does not
/// need this: its escaping already makes every control character inert.
public enum TerminalText {
    /// What a removed character or sequence becomes: visible, and never a control itself.
    public static let placeholder: Unicode.Scalar = "\u{FFFD}"
    /// The cap for a name or a path.
    public static let defaultLimit = 256

    public static func sanitised(_ text: String, limit: Int = defaultLimit) -> String {
        var out = String.UnicodeScalarView()
        var scalars = text.unicodeScalars.makeIterator()
        var count = 0
        let cap = max(1, limit)
        while let scalar = scalars.next() {
            if count >= cap {
                out.removeLast()
                out.append("…")
                break
            }
            count += 1
            switch scalar.value {
            case 0x1B:
                skipEscape(&scalars)
                out.append(placeholder)
            case 0x9B:
                skipControlSequence(&scalars)
                out.append(placeholder)
            case 0x90, 0x98, 0x9D, 0x9E, 0x9F:
                skipString(&scalars)
                out.append(placeholder)
            case 0x00...0x1F, 0x7F...0x9F:
                out.append(placeholder)
            case 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C, 0x2028, 0x2029:
                out.append(placeholder)
            default:
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// After ESC: the rest of the sequence it starts.
    private static func skipEscape(_ scalars: inout String.UnicodeScalarView.Iterator) {
        guard let next = scalars.next() else { return }
        switch next {
        case "[": skipControlSequence(&scalars)
        case "]", "P", "X", "^", "_": skipString(&scalars)
        default: return
        }
    }

    /// CSI parameters and intermediates up to the final byte (0x40–0x7E), or any control.
    private static func skipControlSequence(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let scalar = scalars.next() {
            if (0x40...0x7E).contains(scalar.value) || scalar.value < 0x20 { return }
        }
    }

    /// An OSC/DCS-style string up to BEL, ST (`ESC \` or U+009C) or the end.
    private static func skipString(_ scalars: inout String.UnicodeScalarView.Iterator) {
        while let scalar = scalars.next() {
            switch scalar.value {
            case 0x07, 0x9C: return
            case 0x1B:
                _ = scalars.next()
                return
            default: continue
            }
        }
    }
}

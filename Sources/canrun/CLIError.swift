import ArgumentParser
import CanrunCore
import Foundation

/// An input or environment error: one line on stderr and exit status 2.
struct CLIError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// Runs a command body; a `CLIError` becomes one line on stderr and exit status 2.
func reportingCLIErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as CLIError {
        // Messages name files and quote their content: no escape sequence reaches the terminal.
        FileHandle.standardError.write(Data("canrun: \(TerminalText.sanitised(error.message, limit: 4096))\n".utf8))
        throw ExitCode(2)
    }
}

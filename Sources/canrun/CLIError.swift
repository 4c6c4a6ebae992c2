import ArgumentParser
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
        FileHandle.standardError.write(Data("canrun: \(error.message)\n".utf8))
        throw ExitCode(2)
    }
}

import Logging

#if canImport(Glibc)
import Glibc
#endif

/// swift-log to stderr the way journald reads it: one line per record, a `<N>` syslog priority
/// prefix (`sd-daemon.h`), no timestamp (the journal adds one), embedded newlines escaped.
/// Used when `$JOURNAL_STREAM` names this process's stderr; elsewhere logs are plain lines.
public struct JournalLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    /// The label is not printed: the journal names the unit (`SyslogIdentifier=`).
    public init() {}

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The handler for `label`: this one under journald, swift-log's stderr stream otherwise.
    public static func make(label: String, environment: [String: String]) -> any LogHandler {
        stderrIsJournal(environment: environment)
            ? JournalLogHandler() : StreamLogHandler.standardError(label: label)
    }

    /// `systemd.exec(5)`: `JOURNAL_STREAM` is `device:inode` of the stream; it only counts when
    /// stderr is that very file (a child may inherit the variable with another stderr).
    static func stderrIsJournal(environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(STDERR_FILENO, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }

    /// syslog priorities: debug 7, info 6, notice 5, warning 4, error 3, critical 2.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// One record as the journal line it becomes.
    static func line(level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var text = message
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
        text = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        return "<\(priority(level))>\(text)\n"
    }

    public func log(event: LogEvent) {
        var all = metadata.merging(event.metadata ?? [:]) { $1 }
        if let error = event.error { all["error"] = "\(error)" }
        var bytes = Array(Self.line(level: event.level, message: event.message.description, metadata: all).utf8)
        _ = bytes.withUnsafeMutableBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }
}

/// What one client may take of the daemon: a request's size and time, a connection's idle time,
/// and how many connections are open at once. A client past a limit gets a clear error and a
/// closed connection; nobody else waits for it.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request body, in bytes (413 beyond it).
    public var maxBodyBytes: Int
    /// Largest request line plus headers, in bytes (413 beyond it).
    public var maxHeaderBytes: Int
    /// Seconds from a request's first byte to its end (a client trickling bytes is closed).
    public var requestTimeoutSeconds: Int64
    /// Seconds a kept-alive connection may sit without a byte.
    public var idleTimeoutSeconds: Int64
    /// Connections served at once; more are answered 503 and closed.
    public var maxConnections: Int
    /// The listen backlog, equal to `Backlog=` in systemd/canrund.socket (NIO resets it).
    public var backlog: Int32

    public init(
        maxBodyBytes: Int = 1 << 20,
        maxHeaderBytes: Int = 16 << 10,
        requestTimeoutSeconds: Int64 = 10,
        idleTimeoutSeconds: Int64 = 30,
        maxConnections: Int = 256,
        backlog: Int32 = 256
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.backlog = backlog
    }
}

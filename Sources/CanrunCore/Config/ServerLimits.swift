/// What one client may take of the daemon: a request's size and time, a connection's idle time,
/// its share of the connections, and the computations running at once. A client past a limit
/// gets a clear error (and, for connections, a closed one); nobody else waits for it.
public struct ServerLimits: Sendable, Equatable {
    /// Largest request body, in bytes (413 beyond it).
    public var maxBodyBytes: Int
    /// Largest request line plus headers, in bytes (413 beyond it).
    public var maxHeaderBytes: Int
    /// Seconds from a request's first byte to the first byte of its answer (a client trickling
    /// bytes is closed).
    public var requestTimeoutSeconds: Int64
    /// Seconds a kept-alive connection may sit without a byte.
    public var idleTimeoutSeconds: Int64
    /// Connections served at once; more are answered 503 (`ConnectionPolicy`).
    public var maxConnections: Int
    /// Connections one user (peer uid; the loopback TCP listener counts as one peer) may hold;
    /// root and the daemon's user are not limited by it.
    public var maxConnectionsPerPeer: Int
    /// Connections only root and the daemon's user may take, so that they can always reach the
    /// daemon (`canrun admin`, monitoring) however many others connect.
    public var adminReservedConnections: Int
    /// The listen backlog, equal to `Backlog=` in systemd/canrund.socket (NIO resets it).
    public var backlog: Int32
    /// Fits, rankings and model details computed at once (running or waiting); more are
    /// answered 503 with `Retry-After`.
    public var maxComputations: Int
    /// Seconds one computation may take from its request's arrival (503 past it); less than
    /// `requestTimeoutSeconds`, so the answer is written before the connection is closed.
    public var computeTimeoutSeconds: Int64

    public init(
        maxBodyBytes: Int = 1 << 20,
        maxHeaderBytes: Int = 16 << 10,
        requestTimeoutSeconds: Int64 = 10,
        idleTimeoutSeconds: Int64 = 30,
        maxConnections: Int = 256,
        maxConnectionsPerPeer: Int = 64,
        adminReservedConnections: Int = 16,
        backlog: Int32 = 256,
        maxComputations: Int = 64,
        computeTimeoutSeconds: Int64 = 5
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.requestTimeoutSeconds = requestTimeoutSeconds
        self.idleTimeoutSeconds = idleTimeoutSeconds
        self.maxConnections = maxConnections
        self.maxConnectionsPerPeer = maxConnectionsPerPeer
        self.adminReservedConnections = adminReservedConnections
        self.backlog = backlog
        self.maxComputations = maxComputations
        self.computeTimeoutSeconds = computeTimeoutSeconds
    }
}

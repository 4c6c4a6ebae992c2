import DaemonHarness
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Counts by kind, shared by every thread.
final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func add(_ key: String) { counts.withLock { $0[key, default: 0] += 1 } }
    var snapshot: [String: Int] { counts.withLock { $0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// The well-behaved client's latencies, microseconds.
final class Latencies: Sendable {
    private let values = Mutex<[Double]>([])
    func add(_ microseconds: Double) { values.withLock { $0.append(microseconds) } }
    var sorted: [Double] { values.withLock { $0.sorted() } }
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// A small deterministic generator per thread (SplitMix64).
struct Random {
    var state: UInt64
    mutating func next(_ bound: Int) -> Int {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) % UInt64(bound))
    }
}

/// A line on standard output, unbuffered (progress must show while the soak runs).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

/// The soak's clients: what each thread does, and where it tallies.
final class Soak: Sendable {
    let socketPath: String
    let port: UInt16
    let end: Double
    let pauseMicroseconds: UInt32
    let hostileBodies: [[UInt8]]
    let tally = Tally()
    let wellBehaved = Latencies()
    let wellBehavedFailures = Tally()
    let models = ["llama-3.1-8b", "qwen3-30b-a3b", "llama-3.3-70b", "gemma-3-27b", "gpt-oss-20b", "deepseek-v3"]
    let quants = ["Q4_K_M", "Q8_0", "Q5_K_M", "IQ2_XXS", "F16"]

    init(socketPath: String, port: UInt16, end: Double, pauseMicroseconds: UInt32, hostileBodies: [[UInt8]]) {
        self.socketPath = socketPath
        self.port = port
        self.end = end
        self.pauseMicroseconds = pauseMicroseconds
        self.hostileBodies = hostileBodies
    }

    /// One client's mix: mostly the questions scripts ask, and a steady share of hostile input.
    func clientLoop(_ index: Int) {
        var random = Random(state: UInt64(index) &* 0x1234_5678_9ABC)
        var connection: KeepAliveConnection? = nil
        func keepAlive(_ kind: String, _ method: String, _ target: String, body: [UInt8] = []) {
            if connection == nil { connection = KeepAliveConnection(.unix(socketPath)) }
            guard let c = connection else {
                tally.add("\(kind) -> connect failed")
                return
            }
            let result = c.exchange(method, target, body: body)
            switch result {
            case .status(let code): tally.add("\(kind) -> \(code)")
            case .failure(let why):
                tally.add("\(kind) -> \(why)")
                connection = nil
            }
        }
        /// A request on a connection of its own, written raw, that the daemon answers and closes.
        func oneShot(_ kind: String, _ bytes: [UInt8], trickle: Bool = false) {
            guard let c = KeepAliveConnection(.unix(socketPath), timeoutSeconds: 15) else {
                tally.add("\(kind) -> connect failed")
                return
            }
            if trickle {
                // Slowloris: a byte a second; the daemon's request timeout (10 s) must end it.
                for byte in bytes.prefix(14) {
                    guard c.send([byte]) else { break }
                    sleep(1)
                }
            } else if !c.send(bytes) {
                tally.add("\(kind) -> send failed")
                return
            }
            switch c.readResponse() {
            case .status(let code): tally.add("\(kind) -> \(code)")
            case .failure(let why): tally.add("\(kind) -> \(why)")
            }
        }
        while now() < end {
            let pick = random.next(10000)
            switch pick {
            case 0..<5000:
                keepAlive(
                    "fit",
                    "GET",
                    "/v1/fit?model=\(models[random.next(models.count)])&quant=\(quants[random.next(quants.count)])"
                )
            case 5000..<6500: keepAlive("health", "GET", "/v1/health")
            case 6500..<7000: keepAlive("models", "GET", "/v1/models")
            case 7000..<7200: keepAlive("machine", "GET", "/v1/machine")
            case 7200..<7220: keepAlive("recommendations", "GET", "/v1/recommendations?limit=10")
            case 7220..<7500: keepAlive("model details", "GET", "/v1/models/\(models[random.next(models.count)])")
            case 7500..<8300:
                keepAlive(
                    "hostile config.json",
                    "POST",
                    "/v1/fit",
                    body: hostileBodies[random.next(hostileBodies.count)]
                )
            case 8300..<8600:
                keepAlive("15,000-character model id", "GET", "/v1/fit?model=" + String(repeating: "x", count: 15000))
            case 8600..<9000:
                let bad = ["&quant=ZZ", "&ctx=-5", "&kv=zz", "&ctx=99999999999999999999", "&context=4096"]
                keepAlive("bad query", "GET", "/v1/fit?model=llama-3.1-8b" + bad[random.next(bad.count)])
            case 9000..<9300: oneShot("malformed request line", Array("GARBAGE / NONSENSE\r\n\r\n".utf8))
            case 9300..<9500:
                oneShot(
                    "20 KiB header",
                    Array("GET /v1/health HTTP/1.1\r\nX-Pad: \(String(repeating: "a", count: 20480))\r\n\r\n".utf8)
                )
            case 9500..<9700:
                oneShot("2 MiB body declared", Array("POST /v1/fit HTTP/1.1\r\nContent-Length: 2097152\r\n\r\n{".utf8))
            case 9700..<9990:
                // Half a request, then gone: the daemon must just close its side.
                if let c = KeepAliveConnection(.unix(socketPath)) { _ = c.send(Array("GET /v1/fit?model=llama".utf8)) }
                tally.add("half a request, then closed -> (no answer expected)")
            default:
                oneShot("slowloris (a byte a second)", Array("GET /v1/health HTTP/1.1\r\n\r\n".utf8), trickle: true)
            }
            usleep(pauseMicroseconds)
        }
    }

    /// The well-behaved client: one keep-alive connection, a fit every 10 ms, each timed.
    func wellBehavedLoop() {
        var connection: KeepAliveConnection? = nil
        while now() < end {
            if connection == nil { connection = KeepAliveConnection(.unix(socketPath)) }
            if let c = connection {
                let t0 = now()
                let result = c.exchange("GET", "/v1/fit?model=llama-3.1-8b&quant=Q4_K_M")
                let elapsed = (now() - t0) * 1e6
                if result == .status(200) {
                    wellBehaved.add(elapsed)
                } else {
                    wellBehavedFailures.add("\(result)")
                    connection = nil
                }
            } else {
                wellBehavedFailures.add("connect failed")
            }
            usleep(10_000)
        }
    }

    /// The peer that holds its share: 64 connections on the TCP listener (one peer to canrund,
    /// share max_connections / 4 = 64), each asked something every few seconds so none is idle;
    /// every 10 s a 65th connection, which must be refused with 503.
    func hogLoop() {
        var held: [KeepAliveConnection] = []
        for _ in 0..<64 {
            guard let c = KeepAliveConnection(.tcp(port: port)) else {
                tally.add("hog: connection within its share -> connect failed")
                continue
            }
            held.append(c)
        }
        var lastExtra = now()
        var next = 0
        while now() < end {
            if !held.isEmpty {
                let c = held[next % held.count]
                next += 1
                switch c.exchange("GET", "/v1/health") {
                case .status(let code): tally.add("hog: request within its share -> \(code)")
                case .failure(let why):
                    tally.add("hog: request within its share -> \(why)")
                    if let again = KeepAliveConnection(.tcp(port: port)) { held[(next - 1) % held.count] = again }
                }
            }
            if now() - lastExtra >= 10 {
                lastExtra = now()
                if let extra = KeepAliveConnection(.tcp(port: port)) {
                    switch extra.exchange("GET", "/v1/health") {
                    case .status(let code): tally.add("hog: a connection beyond its share -> \(code)")
                    case .failure(let why): tally.add("hog: a connection beyond its share -> \(why)")
                    }
                } else {
                    tally.add("hog: a connection beyond its share -> connect failed")
                }
            }
            usleep(UInt32(5_000_000 / max(held.count, 1)))
        }
    }
}

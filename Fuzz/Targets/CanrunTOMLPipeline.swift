import CanrunCore

/// `canrun.toml` and its drop-ins as canrund merges them (lines of `#--- drop-in` split the
/// input into files). An accepted configuration must be within every range and must read back
/// from its own `canrun config show` text to the same values.
enum CanrunTOMLPipeline {
    static let separator = "\n#--- drop-in\n"

    static func run(_ input: [UInt8]) throws(FuzzInvariant) -> FuzzOutcome {
        let text = String(decoding: input, as: UTF8.self)
        let files = text.components(separatedBy: separator).enumerated().map { (path: "fuzz-\($0).toml", text: $1) }
        let loaded: DaemonConfig.Loaded
        do {
            loaded = try DaemonConfig.merged(files)
        } catch {
            return .rejection(error)
        }
        let config = loaded.config
        let limits = config.limits
        let numbers: [(String, Int)] = [
            ("max_connections", limits.maxConnections), ("max_connections_per_peer", limits.maxConnectionsPerPeer),
            ("admin_reserved_connections", limits.adminReservedConnections), ("max_body_bytes", limits.maxBodyBytes),
            ("max_header_bytes", limits.maxHeaderBytes),
            ("request_timeout_seconds", Int(limits.requestTimeoutSeconds)),
            ("idle_timeout_seconds", Int(limits.idleTimeoutSeconds)), ("max_computations", limits.maxComputations),
            ("compute_timeout_seconds", Int(limits.computeTimeoutSeconds)),
        ]
        for (key, value) in numbers {
            guard let range = DaemonConfig.ranges[key], range.contains(value) else {
                throw FuzzInvariant("canrun-toml", "server.\(key) = \(value) accepted outside its range")
            }
        }
        do {
            let again = try DaemonConfig.merged([(path: "shown.toml", text: config.toml)])
            if again.config != config {
                throw FuzzInvariant(
                    "canrun-toml",
                    "the configuration shown does not read back to itself:\n\(config.toml)"
                )
            }
        } catch let error as FuzzInvariant {
            throw error
        } catch {
            throw FuzzInvariant("canrun-toml", "the configuration shown is refused: \(error)\n\(config.toml)")
        }
        return .accepted("\(files.count) file(s), \(loaded.warnings.count) warning(s)")
    }
}

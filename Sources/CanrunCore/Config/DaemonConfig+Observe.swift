extension DaemonConfig {
    /// A node watches a handful of servers, not a fleet.
    public static let maxObserveTargets = 32

    /// `[[observe]]` tables: `kind` and `url` required, `name` and `interval_seconds` optional.
    /// A later file's list replaces an earlier one's.
    static func observeTargets(_ value: Any, file: String, warnings: inout [String]) throws -> [ObserveTarget] {
        guard let tables = value as? [[String: Any]], tables.count <= maxObserveTargets else {
            throw ConfigError(
                file: file,
                message:
                    "observe must be [[observe]] tables (at most \(maxObserveTargets)), each with kind and url"
            )
        }
        let kinds = ObserveTarget.Kind.allCases.map(\.rawValue).joined(separator: ", ")
        let targets = try tables.enumerated().map { index, table in
            let which = "observe #\(index + 1)"
            for key in table.keys.sorted() where !["kind", "url", "name", "interval_seconds"].contains(key) {
                warnings.append("\(file): \(which).\(key) is not a key canrund reads; ignored")
            }
            guard let text = table["kind"] as? String, let kind = ObserveTarget.Kind(rawValue: text) else {
                throw ConfigError(file: file, message: "\(which).kind must be one of \(kinds)")
            }
            guard let url = table["url"] as? String, let endpoint = ObserveTarget.Endpoint(url) else {
                throw ConfigError(
                    file: file,
                    message:
                        "\(which).url must be a server on this machine: \"http://127.0.0.1:PORT\" (or [::1], localhost) or \"unix:/PATH\" (got \(table["url"].map { "\($0)" } ?? "none"))"
                )
            }
            var name: String?
            if let given = table["name"] {
                guard let text = given as? String, !text.isEmpty, text.count <= 64,
                    !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
                else {
                    throw ConfigError(
                        file: file,
                        message: "\(which).name must be a string of 1 to 64 characters, no control characters"
                    )
                }
                name = text
            }
            var interval = ObserveTarget.defaultInterval
            if let given = table["interval_seconds"] {
                guard let n = TOMLDocument.integer(given), ObserveTarget.intervals.contains(n) else {
                    throw ConfigError(
                        file: file,
                        message:
                            "\(which).interval_seconds must be an integer from \(ObserveTarget.intervals.lowerBound) to \(ObserveTarget.intervals.upperBound)"
                    )
                }
                interval = n
            }
            return ObserveTarget(kind: kind, endpoint: endpoint, name: name, intervalSeconds: interval)
        }
        // The name is the series' server label: two of one name would overwrite each other.
        var seen: Set<String> = []
        for target in targets where !seen.insert(target.name).inserted {
            throw ConfigError(file: file, message: "two [[observe]] tables are named \"\(target.name)\": name each one")
        }
        return targets
    }

    /// The `[[observe]]` tables as TOML, or the commented example when there are none.
    var observeTOML: String {
        guard !observe.isEmpty else {
            return """
                # [[observe]]
                # kind = "llama-server"
                # url = "http://127.0.0.1:8080"
                # name = "chat"
                # interval_seconds = 15

                """
        }
        return observe.map { target in
            """
            [[observe]]
            kind = \(Self.quoted(target.kind.rawValue))
            url = \(Self.quoted(target.endpoint.description))
            name = \(Self.quoted(target.name))
            interval_seconds = \(target.intervalSeconds)

            """
        }.joined(separator: "\n")
    }
}

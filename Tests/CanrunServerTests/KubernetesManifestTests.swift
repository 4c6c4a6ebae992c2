import CanrunCore
import CanrunServer
import Foundation
import Testing

/// deploy/kubernetes/: the DaemonSet's YAML, read by `yq` (Debian's; CI installs it and sets
/// CANRUN_REQUIRE_YQ=1), gives canrund what it needs and no more, its ConfigMap is a
/// configuration canrund accepts, and every label the README's examples select on is one
/// canrund writes. No cluster is needed (and none is available here).
struct KubernetesManifestTests {
    static let folder = ServerFixtures.repository + "/deploy/kubernetes/"
    static var runnable: Bool {
        FileManager.default.isExecutableFile(atPath: "/usr/bin/yq")
            || ProcessInfo.processInfo.environment["CANRUN_REQUIRE_YQ"] == "1"
    }

    /// Every document of `yaml`, as JSON objects (`yq -c .`, one line each).
    static func documents(_ yaml: String) throws -> [[String: Any]] {
        let read = try ServerFixtures.run("/usr/bin/yq", ["-c", "."], input: yaml)
        try #require(read.status == 0, "yq: \(read.errors)")
        return try read.output.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    static func manifest() throws -> [[String: Any]] {
        try documents(try String(contentsOfFile: folder + "canrund.yaml", encoding: .utf8))
    }

    /// `object[path…]`, through dictionaries by key and arrays by index.
    static func at(_ object: Any?, _ path: Any...) -> Any? {
        path.reduce(object) { value, step in
            if let key = step as? String { return (value as? [String: Any])?[key] }
            if let index = step as? Int, let array = value as? [Any], array.indices.contains(index) {
                return array[index]
            }
            return nil
        }
    }

    @Test(.enabled(if: runnable))
    func theDaemonSetGivesCanrundWhatItNeeds() throws {
        let documents = try Self.manifest()
        #expect(documents.map { $0["kind"] as? String } == ["Namespace", "ConfigMap", "DaemonSet"])
        let pod = try #require(Self.at(documents[2], "spec", "template", "spec") as? [String: Any])
        let container = try #require(Self.at(pod, "containers", 0) as? [String: Any])
        let security = try #require(container["securityContext"] as? [String: Any])
        #expect(security["readOnlyRootFilesystem"] as? Bool == true)
        #expect(security["allowPrivilegeEscalation"] as? Bool == false)
        #expect(Self.at(security, "capabilities", "drop") as? [String] == ["ALL"])
        #expect(pod["automountServiceAccountToken"] as? Bool == false)

        // Volumes by name, and where the container mounts them.
        let volumes = try #require(pod["volumes"] as? [[String: Any]])
        let hostPaths = Dictionary(
            uniqueKeysWithValues: volumes.compactMap { v in
                (Self.at(v, "hostPath", "path") as? String).map { (v["name"] as? String ?? "", $0) }
            }
        )
        #expect(hostPaths["sys"] == "/sys")
        #expect(hostPaths["proc"] == "/proc")
        #expect(hostPaths["nfd-features"] == "/etc/kubernetes/node-feature-discovery/features.d")
        let mounts = try #require(container["volumeMounts"] as? [[String: Any]])
        func mount(_ name: String) -> (path: String, readOnly: Bool)? {
            mounts.first { $0["name"] as? String == name }.map {
                ($0["mountPath"] as? String ?? "", $0["readOnly"] as? Bool ?? false)
            }
        }
        #expect(mount("sys")?.path == "/sys" && mount("sys")?.readOnly == true)
        #expect(mount("proc")?.readOnly == true)
        #expect(mount("config")?.readOnly == true)
        #expect(mount("nfd-features")?.readOnly == false)

        // The SMBIOS table: the init container copies it where CREDENTIALS_DIRECTORY points.
        let environment = Dictionary(
            uniqueKeysWithValues: (container["env"] as? [[String: Any]] ?? []).map {
                ($0["name"] as? String ?? "", $0["value"] as? String ?? "")
            }
        )
        let credentials = try #require(environment["CREDENTIALS_DIRECTORY"])
        #expect(mount("credentials")?.path == credentials)
        let copy = (Self.at(pod, "initContainers", 0, "command") as? [String] ?? []).joined(separator: " ")
        #expect(copy.contains(credentials + "/dmi"), "\(copy)")
        #expect(environment["STATE_DIRECTORY"] == mount("state")?.path)
        #expect(environment["CACHE_DIRECTORY"] == mount("cache")?.path)

        // The configuration canrund reads: accepted whole, writing the feature file in the
        // folder mounted from the node, listening where the node's /run/canrun is mounted.
        let command = try #require(container["command"] as? [String])
        let configFolder = try #require(command.firstIndex(of: "--config").map { command[$0 + 1] })
        #expect(mount("config")?.path == configFolder)
        let socket = try #require(command.firstIndex(of: "--socket").map { command[$0 + 1] })
        #expect((socket as NSString).deletingLastPathComponent == mount("run")?.path)
        let toml = try #require(Self.at(documents[1], "data", "canrun.toml") as? String)
        let loaded = try DaemonConfig.merged([("canrun.toml", toml)])
        #expect(loaded.warnings.isEmpty, "\(loaded.warnings)")
        let features = try #require(loaded.config.nfdFeatureFile)
        #expect((features as NSString).deletingLastPathComponent == mount("nfd-features")?.path)
    }

    /// The README's YAML parses, and each node label it selects on is one canrund writes for the
    /// ConfigMap's models (here on a machine where they all fit: 256 GiB, 60 GB/s).
    @Test(.enabled(if: runnable))
    func theReadmesLabelsAreCanrundsLabels() throws {
        let readme = try String(contentsOfFile: Self.folder + "README.md", encoding: .utf8)
        let blocks = readme.components(separatedBy: "```yaml\n").dropFirst().map {
            $0.components(separatedBy: "```").first ?? ""
        }
        #expect(blocks.count == 2)
        let toml = try #require(Self.at(try Self.manifest()[1], "data", "canrun.toml") as? String)
        let config = try DaemonConfig.merged([("canrun.toml", toml)]).config
        var snapshot = try ServerFixtures.snapshot()
        snapshot.machine.memory.totalBytes = 256 << 30
        snapshot.machine.memory.availableBytes = 250 << 30
        snapshot.machine.numaNodes = [NUMANodeFacts(id: 0, memoryBytes: 256 << 30, cpus: Array(0..<16))]
        let written = Set(
            NodeFeatureLabels.labels(
                machine: snapshot.machine,
                fits: ServerMetrics.fits(config.metricsModels, snapshot)
            ).map { "feature.node.kubernetes.io/" + $0.name }
        )
        var selected: [String] = []
        for block in blocks {
            for document in try Self.documents(block) {
                func collect(_ value: Any) {
                    if let object = value as? [String: Any] {
                        if let key = object["key"] as? String, object["operator"] != nil { selected.append(key) }
                        object.values.forEach(collect)
                    } else if let array = value as? [Any] {
                        array.forEach(collect)
                    }
                }
                collect(document)
            }
        }
        #expect(selected.count == 3)
        for key in selected { #expect(written.contains(key), "\(key) is no label canrund writes: \(written.sorted())") }
    }
}

import CanrunCore
import Foundation
import Testing

/// The labels canrund gives a Kubernetes node through NFD (issue 16): what each says, and that
/// every name and value keeps Kubernetes' label syntax (at most 63 characters, letters, digits,
/// `-`, `_`, `.`, alphanumeric at both ends: k8s.io/apimachinery `IsQualifiedName`/`IsValidLabelValue`).
struct NodeFeatureLabelsTests {
    static func machine() -> MachineProfile {
        FitEngineTests.machine(ramGiB: 64, readGBs: 60.4, gpus: [FitEngineTests.rtx4090()])
    }

    static func report(_ id: String, quant: String) throws -> FitReport {
        try FitEngineTests.engine.fit(
            .init(model: try FitEngineTests.model(id), quant: quant, context: 8192),
            machine: machine()
        )
    }

    @Test func labelsSayWhatASchedulerSelectsOn() throws {
        let small = try Self.report("llama-3.1-8b", quant: "Q4_K_M")
        let huge = try Self.report("llama-3.1-405b", quant: "Q8_0")
        let labels = NodeFeatureLabels.labels(
            machine: Self.machine(),
            fits: [("llama-3.1-8b@Q4_K_M", small), ("llama-3.1-405b@Q8_0", huge), ("nope", nil)]
        )
        let byName = Dictionary(uniqueKeysWithValues: labels.map { ($0.name, $0.value) })
        #expect(
            labels.map(\.name) == [
                "canrun-memory-read-gbps", "canrun-memory-bandwidth-class", "canrun-gpu-count",
                "canrun-gpu-memory-gib", "canrun-gpu-model", "canrun-fits.llama-3.1-8b.Q4_K_M",
                "canrun-decode-tps.llama-3.1-8b.Q4_K_M", "canrun-fits.llama-3.1-405b.Q8_0",
            ]
        )
        #expect(byName["canrun-memory-read-gbps"] == "60")
        #expect(byName["canrun-memory-bandwidth-class"] == "50-100GBps")
        #expect(byName["canrun-gpu-count"] == "1")
        #expect(byName["canrun-gpu-memory-gib"] == "24")
        #expect(byName["canrun-gpu-model"] == "GeForce-RTX-4090")
        #expect(byName["canrun-fits.llama-3.1-8b.Q4_K_M"] == "true")
        // An 8B Q4_K_M on one RTX 4090 decodes over 100 tokens/s.
        #expect(byName["canrun-decode-tps.llama-3.1-8b.Q4_K_M"] == "100-plus")
        #expect(byName["canrun-fits.llama-3.1-405b.Q8_0"] == "false")
        for (name, value) in labels {
            #expect(NodeFeatureLabels.isValid(name), "\(name)")
            #expect(NodeFeatureLabels.isValid(value), "\(value)")
        }
        #expect(
            NodeFeatureLabels.file(labels).hasPrefix(
                "# written by canrund (canrun.toml [kubernetes] nfd_feature_file); do not edit\ncanrun-memory-read-gbps=60\n"
            )
        )
    }

    /// No measurement, no GPU: no bandwidth or GPU labels, rather than made-up ones.
    @Test func unknownFactsGetNoLabels() {
        let machine = FitEngineTests.machine(ramGiB: 16, readGBs: nil)
        #expect(NodeFeatureLabels.labels(machine: machine, fits: []).isEmpty)
    }

    @Test(arguments: [
        (24.99, "under-25GBps"), (25, "25-50GBps"), (99.9, "50-100GBps"), (100, "100-200GBps"),
        (460.8, "400-800GBps"), (3350, "800GBps-plus"),
    ])
    func bandwidthClasses(_ gbps: Double, _ expected: String) {
        let machine = FitEngineTests.machine(ramGiB: 16, readGBs: gbps)
        #expect(NodeFeatureLabels.labels(machine: machine, fits: []).last?.value == expected)
    }

    /// Entries in any form canrun takes become label text; one too long for a label keeps its
    /// start and a hash of the whole, so two long names stay apart.
    @Test func namesKeepTheSyntaxAndTheLimit() throws {
        let report = try Self.report("llama-3.1-8b", quant: "Q4_K_M")
        func fitsName(_ entry: String) -> String? {
            NodeFeatureLabels.labels(machine: FitEngineTests.machine(ramGiB: 64, readGBs: nil), fits: [(entry, report)])
                .first?.name
        }
        #expect(fitsName("llama3.1:8b") == "canrun-fits.llama3.1.8b")
        #expect(fitsName("meta-llama/Llama-3.1-8B-Instruct") == "canrun-fits.meta-llama.Llama-3.1-8B-Instruct")
        let long = "unsloth/" + String(repeating: "Very-Long-Model-Name-", count: 4) + "GGUF@Q4_K_M"
        let longer = "unsloth/" + String(repeating: "Very-Long-Model-Name-", count: 4) + "GGUF@Q8_0"
        let a = try #require(fitsName(long))
        let b = try #require(fitsName(longer))
        #expect(a.count <= 63 && b.count <= 63)
        #expect(a != b)
        #expect(NodeFeatureLabels.isValid(a) && NodeFeatureLabels.isValid(b))
        #expect(fitsName("@@@") == nil)
        #expect(!NodeFeatureLabels.isValid("-a"))
        #expect(!NodeFeatureLabels.isValid(String(repeating: "a", count: 64)))
        #expect(!NodeFeatureLabels.isValid("a b"))
    }
}

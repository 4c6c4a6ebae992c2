import CanrunCore
import Foundation

/// One published llama.cpp result (a row of `Benchmarks/calibration/runs/*.csv`): one test on one
/// machine.
public struct CalibrationRun: Sendable, Equatable {
    public var machineClass: String
    /// The independent campaign the row belongs to (leave-one-source-out groups by it).
    public var sourceID: String
    /// The address the row was read from.
    public var source: String = ""
    public var hardware: String
    public var gpuCount: Int
    public var backend: String
    public var build: String
    public var modelID: String
    public var quant: String
    /// Prompt tokens (`pp512`: 512) and generated tokens (`tg128`: 128) of the test.
    public var promptTokens: Int
    public var generatedTokens: Int
    /// Tokens already in the context when the test starts (`-d`).
    public var depth: Int
    public var tokensPerS: Double
    /// `-ngl` as run; nil when not stated.
    public var gpuLayers: Int?
    /// `-t` as run; nil when not stated.
    public var threads: Int? = nil
    public var flags: String
    public var notes: String = ""
    public var line: Int

    /// Why the run is not a question canrun answers, so no fit may use it: a configuration
    /// canrun does not model yet, or a result its transcription marks as anomalous.
    public var exclusion: String? {
        let flags = Set(flags.split(separator: " ").map(String.init))
        if notes.contains("ANOMALOUS") { return "marked anomalous in the transcription" }
        if flags.contains("nkvo=1") { return "KV cache kept in host memory (-nkvo)" }
        if flags.contains("sm=row") || flags.contains("sm=tensor") {
            return "split mode row or tensor (canrun answers llama.cpp's default layer split)"
        }
        if flags.contains(where: { $0.hasPrefix("ncmoe=") }) { return "experts kept in RAM as asked (-ncmoe)" }
        return nil
    }

    /// Whether the run used flash attention: as its flags say (`fa=1`, `fa=0`), else
    /// llama-bench's default of its time: off (`cmd_params_defaults.flash_attn = false`) until
    /// PR #15434 ("use FA + max. GPU layers by default", August 2025) made it `auto`, which turns
    /// it on wherever the backend supports it. A run's time is its build (`flashAutoBuild` on), or
    /// for a source without one, the llama.cpp pull request or issue it was posted in (GitHub
    /// numbers both in one sequence).
    public var flashAttention: Bool {
        let flags = Set(flags.split(separator: " "))
        if flags.contains("fa=1") { return true }
        if flags.contains("fa=0") { return false }
        if let build = buildNumber { return build >= Self.flashAutoBuild }
        if let thread = llamaCppThread { return thread > Self.flashAutoPullRequest }
        return false
    }

    /// The pull request that made flash attention llama-bench's default, and the first release
    /// after its merge (releases of late August 2025 were numbered about 6300).
    public static let flashAutoPullRequest = 15434
    public static let flashAutoBuild = 6300

    /// The number of the llama.cpp pull request, issue or discussion `source` points at.
    var llamaCppThread: Int? {
        for kind in ["/pull/", "/issues/", "/discussions/"] {
            guard source.hasPrefix("https://github.com/ggml-org/llama.cpp" + kind) else { continue }
            return Int(source.dropFirst(("https://github.com/ggml-org/llama.cpp" + kind).count).prefix { $0.isNumber })
        }
        return nil
    }

    /// The GPU backend as canrun names it (`cuda`, `rocm`, `vulkan`, `metal`); nil for the CPU.
    public var gpuBackend: String? {
        switch backend.lowercased() {
        case "cuda": "cuda"
        case "rocm", "hip": "rocm"
        case "vulkan": "vulkan"
        case "metal": "metal"
        default: nil
        }
    }

    /// The llama.cpp release number of `build` (`b4567 (abcdef12)`, `abcdef12 (4567)`), else the
    /// one its campaign's other rows state (`withCampaignBuilds`); nil when nobody says.
    public var buildNumber: Int? { statedBuild ?? campaignBuild }

    /// The build the campaign's other rows state, for a row that names none: a summary table
    /// (XiongjieDai's README) leaves out the build its notebooks print.
    public var campaignBuild: Int? = nil

    /// `build`'s release number; nil when the source gives only a commit, or nothing.
    var statedBuild: Int? {
        if let open = build.firstIndex(of: "("), let close = build.firstIndex(of: ")"), open < close,
            let n = Int(build[build.index(after: open)..<close])
        {
            return n
        }
        guard build.hasPrefix("b") else { return nil }
        return Int(build.dropFirst().prefix { $0.isNumber })
    }

    /// `runs` with each row that states no build given the earliest build its source states on
    /// other rows (one campaign runs one era of llama.cpp; the earliest under-states it least).
    static func withCampaignBuilds(_ runs: [CalibrationRun]) -> [CalibrationRun] {
        var earliest: [String: Int] = [:]
        for run in runs { if let b = run.statedBuild { earliest[run.sourceID] = min(b, earliest[run.sourceID] ?? b) } }
        return runs.map { run in
            var run = run
            if run.statedBuild == nil { run.campaignBuild = earliest[run.sourceID] }
            return run
        }
    }

    public var isPrefill: Bool { promptTokens > 0 && generatedTokens == 0 }
    public var isDecode: Bool { generatedTokens > 0 && promptTokens == 0 }

    /// `model quant test@depth on hardware (source)`.
    public var label: String {
        let test = isPrefill ? "pp\(promptTokens)" : "tg\(generatedTokens)"
        return "\(modelID) \(quant) \(test)@\(depth) ×\(gpuCount) \(hardware) [\(sourceID)]"
    }

    /// Every run of the calibration set in `folder` (`Benchmarks/calibration/runs`): its CSV
    /// files in name order, each row that states no build given its campaign's
    /// (`withCampaignBuilds`, which needs every file read first: a campaign spans several).
    public static func load(folder: URL) throws -> [CalibrationRun] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".csv") }
        var runs: [CalibrationRun] = []
        for file in files.sorted() {
            runs += load(csv: try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)).runs
        }
        return withCampaignBuilds(runs)
    }

    /// Every row of `csv` with a test canrun models (`ppN` or `tgN`, not the combined
    /// `pp4096+tg128`), and why each other row was left out.
    public static func load(csv: String) -> (runs: [CalibrationRun], skipped: [String]) {
        var runs: [CalibrationRun] = []
        var skipped: [String] = []
        for (index, r) in CSVReader.records(csv).enumerated() {
            let line = index + 2
            let test = (r["test"] ?? "").replacingOccurrences(of: " ", with: "")
            let tokens = Int(test.dropFirst(2))
            guard let tokens, tokens > 0, test.hasPrefix("pp") || test.hasPrefix("tg") else {
                skipped.append("line \(line): test '\(test)' is neither ppN nor tgN")
                continue
            }
            guard let tps = Double(r["tps"] ?? ""), tps > 0, tps.isFinite else {
                skipped.append("line \(line): no tokens/s")
                continue
            }
            runs.append(
                CalibrationRun(
                    machineClass: r["class"] ?? "",
                    sourceID: r["source_id"] ?? "",
                    source: r["source"] ?? "",
                    hardware: r["hardware"] ?? "",
                    gpuCount: Int(r["gpu_count"] ?? "") ?? 1,
                    backend: r["backend"] ?? "",
                    build: r["build"] ?? "",
                    modelID: r["model_id"] ?? "",
                    quant: r["quant"] ?? "",
                    promptTokens: test.hasPrefix("pp") ? tokens : 0,
                    generatedTokens: test.hasPrefix("tg") ? tokens : 0,
                    depth: Int(r["depth"] ?? "") ?? 0,
                    tokensPerS: tps,
                    gpuLayers: Int(r["ngl"] ?? ""),
                    threads: Int(r["threads"] ?? "").flatMap { ModelBounds.threads.contains($0) ? $0 : nil },
                    flags: r["flags"] ?? "",
                    notes: r["notes"] ?? "",
                    line: line
                )
            )
        }
        return (runs, skipped)
    }
}

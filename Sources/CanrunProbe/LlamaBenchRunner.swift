import CanrunCore
import Foundation

/// Finds and runs llama.cpp's `llama-bench`: the one measurement of real inference canrun does
/// not make itself.
public enum LlamaBenchRunner {
    /// Why llama-bench could not be found or run.
    public struct RunError: Error, CustomStringConvertible {
        public var description: String
    }

    /// What `scripts/build-llama-cpp.sh` prints to get one.
    static let howToGetOne =
        "build one with scripts/build-llama-cpp.sh (llama.cpp from source, CPU, about 15 minutes), or install "
        + "llama.cpp (https://github.com/ggml-org/llama.cpp), then pass --llama-bench PATH or put llama-bench on PATH"

    /// The llama-bench to run: `explicit` (`--llama-bench`), else `CANRUN_LLAMA_BENCH`, else the
    /// first on `PATH`, else the newest that scripts/build-llama-cpp.sh cached.
    public static func locate(explicit: String?, environment: [String: String]) throws(RunError) -> String {
        if let path = explicit ?? environment["CANRUN_LLAMA_BENCH"] {
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw RunError(description: "\(path) is not an executable llama-bench: \(howToGetOne)")
            }
            return path
        }
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/llama-bench"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let cache =
            environment["CANRUN_LLAMA_CACHE"]
            ?? (environment["XDG_CACHE_HOME"].map { $0 + "/canrun/llama.cpp" } ?? home + "/.cache/canrun/llama.cpp")
        let builds = ((try? FileManager.default.contentsOfDirectory(atPath: cache)) ?? []).sorted()
        for build in builds.reversed() {
            let candidate = "\(cache)/\(build)/bin/llama-bench"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw RunError(description: "no llama-bench found (not on PATH, not in \(cache)): \(howToGetOne)")
    }

    /// The llama.cpp commit a llama-bench built by scripts/build-llama-cpp.sh comes from: the
    /// `llama.cpp COMMIT` line of the `VERSION` file beside its `bin` folder. A build from a
    /// source tree without git reports its commit as `unknown`; nil for any other llama-bench.
    public static func recordedCommit(of path: String) -> String? {
        let version = URL(fileURLWithPath: path).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VERSION")
        guard let text = try? SafeFile.bytes(version.path, limit: .machineProfile) else { return nil }
        for line in String(decoding: text, as: UTF8.self).split(separator: "\n") where line.hasPrefix("llama.cpp ") {
            let commit = line.dropFirst("llama.cpp ".count)
            if !commit.isEmpty, commit.count <= 40, commit.allSatisfy(\.isHexDigit) { return String(commit) }
        }
        return nil
    }

    /// The tests of `plan` run by `bench`, parsed; a build that does not know its commit gets the
    /// one scripts/build-llama-cpp.sh recorded. A failed run or output canrun cannot read is a
    /// `RunError` saying which.
    public static func results(
        _ bench: String,
        _ plan: LlamaBenchPlan,
        timeout: TimeInterval
    ) throws(RunError) -> [LlamaBenchResult] {
        var results: [LlamaBenchResult]
        do {
            results = try LlamaBenchResult.parse(try output(bench, plan.arguments, timeout: timeout))
        } catch let error as LlamaBenchResult.ParseError {
            throw RunError(description: error.description)
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError(description: "\(error)")
        }
        if let commit = recordedCommit(of: bench) {
            for i in results.indices where results[i].buildCommit == "unknown" { results[i].buildCommit = commit }
        }
        return results
    }

    /// `llama-bench --help`, to learn how it spells its options (`LlamaBenchPlan.Dialect`).
    public static func help(_ path: String) throws(RunError) -> String {
        let (out, err, _) = try run(path, ["--help"], timeout: 30)
        return String(decoding: out + err, as: UTF8.self)
    }

    /// Runs `path` with `arguments`; its standard output when it exits 0 within `timeout`
    /// seconds, else an error with the end of what it printed.
    public static func output(_ path: String, _ arguments: [String], timeout: TimeInterval) throws(RunError) -> Data {
        let (out, err, status) = try run(path, arguments, timeout: timeout)
        guard status == 0 else {
            let tail = String(decoding: err.suffix(1500), as: UTF8.self)
            throw RunError(description: "llama-bench failed (\(status)): \(tail)")
        }
        return out
    }

    private static func run(
        _ path: String,
        _ arguments: [String],
        timeout: TimeInterval
    ) throws(RunError) -> (Data, Data, Int32) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw RunError(description: "could not start \(path): \(error.localizedDescription)")
        }
        // Both pipes drain while it runs (a full stderr pipe would stall llama-bench), each into
        // a bounded buffer: a runaway program cannot fill canrun's memory.
        let collected = Collected()
        let group = DispatchGroup()
        for (pipe, isOut) in [(out, true), (err, false)] {
            group.enter()
            DispatchQueue.global().async {
                let handle = pipe.fileHandleForReading
                while case let chunk = handle.availableData, !chunk.isEmpty { collected.add(chunk, isOut: isOut) }
                group.leave()
            }
        }
        // Past the timeout SIGTERM, and SIGKILL 5 s later for a program that ignores it.
        let timer = DispatchWorkItem {
            guard process.isRunning else { return }
            collected.timedOut()
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
        process.waitUntilExit()
        timer.cancel()
        // A child it left behind may hold the pipes open: what the run printed is read by then.
        _ = group.wait(timeout: .now() + 5)
        let result = collected.value
        if result.timedOut {
            throw RunError(description: "\(path) ran past \(Int(timeout)) s and was stopped; raise --timeout")
        }
        if result.outOverflowed {
            throw RunError(
                description: "\(path) printed more than \(Collected.outLimit >> 20) MiB: that is not llama-bench's JSON"
            )
        }
        return (result.out, result.err, process.terminationStatus)
    }

    /// What a run printed: the start of its output (at most `outLimit`), the end of its errors
    /// (the last `errLimit`), and whether it was stopped for time.
    private final class Collected: @unchecked Sendable {
        static let outLimit = 16 << 20
        static let errLimit = 64 << 10
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        private var overflowed = false
        private var stopped = false

        func add(_ chunk: Data, isOut: Bool) {
            lock.withLock {
                if isOut {
                    if out.count + chunk.count > Self.outLimit { overflowed = true } else { out.append(chunk) }
                } else {
                    err.append(chunk)
                    if err.count > Self.errLimit { err = err.suffix(Self.errLimit) }
                }
            }
        }

        func timedOut() { lock.withLock { stopped = true } }

        var value: (out: Data, err: Data, outOverflowed: Bool, timedOut: Bool) {
            lock.withLock { (out, err, overflowed, stopped) }
        }
    }
}

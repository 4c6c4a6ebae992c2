import CanrunFuzzTargets
import Foundation

/// libFuzzer's callbacks are C functions with no context: the target, the world and the tally
/// live here. libFuzzer calls them from one thread only, and nothing else touches them.
enum FuzzDriver {
    nonisolated(unsafe) static var target = FuzzTarget.gguf
    nonisolated(unsafe) static var world: FuzzWorld?
    nonisolated(unsafe) static var tally: [String: Int] = [:]
    nonisolated(unsafe) static var inputs = 0

    /// Loads the world for `target` (exit 1 when the shipped data is missing).
    @discardableResult
    static func start(_ target: FuzzTarget) -> FuzzWorld {
        do {
            let world = try FuzzWorld.load(scratch: NSTemporaryDirectory() + "canrun-fuzz-\(getpid())")
            FuzzDriver.target = target
            FuzzDriver.world = world
            return world
        } catch {
            warn("CanrunFuzz: \(error)\n")
            exit(1)
        }
    }

    /// One input through the target: 0, or -1 for an input past the target's size (libFuzzer
    /// keeps it out of the corpus). A broken invariant aborts, which libFuzzer reports as a
    /// crash and saves.
    static func runOne(_ input: [UInt8]) -> Int32 {
        guard let world, input.count <= target.maxInputBytes else { return -1 }
        do {
            record(try target.run(input, world: world))
        } catch {
            warn("==canrun-fuzz== invariant broken: \(error)\n")
            abort()
        }
        return 0
    }

    /// A line on standard error (a message ends in a newline already).
    static func warn(_ message: String) {
        FileHandle.standardError.write(Data(message.utf8))
    }

    static func record(_ outcome: FuzzOutcome) {
        inputs += 1
        switch outcome {
        case .accepted: tally["accepted", default: 0] += 1
        case .rejected(let kind, _): tally["rejected " + kind, default: 0] += 1
        }
    }

    /// What became of the inputs, most frequent first (printed at exit).
    static func printTally() {
        print("canrun-fuzz \(target.rawValue): \(inputs) inputs run through the pipeline")
        for (kind, count) in tally.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }).prefix(15) {
            print(String(format: "  %9d  %5.1f%%  ", count, 100 * Double(count) / Double(max(inputs, 1))) + kind)
        }
    }
}

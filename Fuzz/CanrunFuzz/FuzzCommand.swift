// canrun's fuzz driver. scripts/fuzz.sh builds it with libFuzzer (`-sanitize=fuzzer`, and
// CANRUN_LIBFUZZER so that libFuzzer's main runs) and fuzzes the target CANRUN_FUZZ_TARGET
// names. Built plainly, it runs saved inputs and prints each outcome:
//   CanrunFuzz TARGET FILE...
// TARGET: gguf, config-json, probe, canrun-toml (FuzzTarget).
import CanrunFuzzTargets
import Foundation

#if CANRUN_LIBFUZZER
/// libFuzzer's start: the target and the world, once per process.
@_cdecl("LLVMFuzzerInitialize")
func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> Int32 {
    let name = ProcessInfo.processInfo.environment["CANRUN_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FuzzDriver.warn(
            "set CANRUN_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n"
        )
        exit(2)
    }
    FuzzDriver.start(target)
    atexit {
        FuzzDriver.printTally()
        fflush(nil)
    }
    return 0
}

/// One input from libFuzzer: -1 keeps an oversized one out of the corpus; a broken invariant
/// aborts, so libFuzzer saves the input as a crash.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzDriver.runOne(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
}
#else
/// Runs saved inputs through a target (`CanrunFuzz TARGET FILE...`), one outcome a line.
@main
enum FuzzCommand {
    static func main() {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2, let target = FuzzTarget(rawValue: arguments[1]) else {
            let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: ", ")
            FuzzDriver.warn("usage: CanrunFuzz TARGET FILE...; TARGET is one of \(names) (scripts/fuzz.sh fuzzes)\n")
            exit(2)
        }
        let world = FuzzDriver.start(target)
        var failed = false
        for path in arguments.dropFirst(2) {
            guard let data = FileManager.default.contents(atPath: path) else {
                FuzzDriver.warn("\(path): cannot be read\n")
                failed = true
                continue
            }
            do {
                print("\(path): \(try target.run(Array(data), world: world))")
            } catch {
                print("\(path): INVARIANT BROKEN: \(error)")
                failed = true
            }
        }
        exit(failed ? 1 : 0)
    }
}
#endif

import Foundation

/// hwloc's reading of a recorded `/sys`+`/proc` tree, in a process of its own
/// (`lstopo-no-graphics --of xml`, the same libhwloc). A recording is untrusted input, and
/// libhwloc's sysfs reader is not hardened against it: fuzzing found trees that make its XML
/// export dereference a null bitmap. In a child, such a tree costs a warning, never canrun.
/// The child's environment carries the fake root, so no process-wide `setenv` is needed.
enum IsolatedHwlocExport {
    /// hwloc's command-line exporter (Debian: hwloc-nox or hwloc).
    static let toolNames = ["lstopo-no-graphics", "lstopo"]
    /// The child is killed past this: a tree that makes hwloc loop is a hang, not an answer.
    static let timeoutSeconds = 20.0
    /// Larger XML than any machine's (a 1,000-core machine with every PCI device: ~2 MiB).
    static let maxOutputBytes = 64 << 20

    enum ExportError: Error, Equatable, CustomStringConvertible {
        case noTool(searched: [String])
        case crashed(signal: Int32)
        case failed(status: Int32, message: String)
        case timedOut(seconds: Double)
        case tooLarge(bytes: Int)

        var description: String {
            switch self {
            case .noTool(let searched):
                "reading a recorded /sys tree needs hwloc's lstopo-no-graphics (Debian package hwloc-nox); not found in \(searched.joined(separator: ":"))"
            case .crashed(let signal):
                "hwloc crashed reading the recorded tree (signal \(signal)): the tree is corrupt"
            case .failed(let status, let message):
                "hwloc could not read the recorded tree (exit \(status))\(message.isEmpty ? "" : ": \(message)")"
            case .timedOut(let seconds):
                "hwloc did not finish reading the recorded tree within \(Int(seconds)) s: the tree is corrupt"
            case .tooLarge(let bytes):
                "hwloc's XML of the recorded tree passed \(bytes) bytes: the tree is corrupt"
            }
        }
    }

    /// The first exporter on `PATH` (or the standard folders when `PATH` is unset).
    static func tool(environment: [String: String]) throws(ExportError) -> String {
        let folders = (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for name in toolNames {
            for folder in folders where FileManager.default.isExecutableFile(atPath: folder + "/" + name) {
                return folder + "/" + name
            }
        }
        throw .noTool(searched: folders)
    }

    /// The topology of the tree at `root` as hwloc v2 XML.
    static func export(
        root: String,
        includeIO: Bool,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tool(environment: environment))
        process.arguments = ["--of", "xml", "--filter", includeIO ? "io:important" : "io:none", "-"]
        process.environment = [
            "HWLOC_FSROOT": root,
            "HWLOC_THISSYSTEM": "0",
            // The x86 backend would add this host's CPUID facts to another machine's tree.
            "HWLOC_COMPONENTS": "-opencl,-gl,-x86",
            // GPU memory onlined as NUMA nodes (POWER9 + NVLink) is a GPU fact canrun must see.
            "HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES": "1",
            "LC_ALL": "C",
        ]
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = DispatchWorkItem { [process] in if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: deadline)
        // Standard error is drained beside standard output, or a chatty child blocks on it.
        let errorText = ErrorTail()
        let drain = Thread { errorText.read(errors.fileHandleForReading) }
        drain.start()
        var xml = Data()
        var overflow = false
        while let chunk = try output.fileHandleForReading.read(upToCount: 1 << 16), !chunk.isEmpty {
            xml += chunk
            if xml.count > maxOutputBytes {
                overflow = true
                process.terminate()
                break
            }
        }
        process.waitUntilExit()
        deadline.cancel()
        errorText.wait()
        if overflow { throw ExportError.tooLarge(bytes: xml.count) }
        switch process.terminationReason {
        case .uncaughtSignal where process.terminationStatus == SIGTERM:
            throw ExportError.timedOut(seconds: timeoutSeconds)
        case .uncaughtSignal:
            throw ExportError.crashed(signal: process.terminationStatus)
        case .exit where process.terminationStatus != 0:
            throw ExportError.failed(status: process.terminationStatus, message: errorText.text)
        default:
            return xml
        }
    }
}

/// The last line a child wrote on standard error, read on a thread of its own.
private final class ErrorTail: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()

    func read(_ handle: FileHandle) {
        while let chunk = try? handle.read(upToCount: 1 << 12), !chunk.isEmpty {
            data += chunk
            if data.count > 1 << 16 { data = data.suffix(1 << 12) }
        }
        done.signal()
    }

    func wait() { done.wait() }

    /// The last non-empty line, sanitised for a terminal.
    var text: String {
        let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? ""
        return String(line.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(300))
    }
}

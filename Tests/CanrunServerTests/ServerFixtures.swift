import CanrunCore
import CanrunProbe
import CanrunServer
import Foundation

/// A snapshot built from the repository's shipped data and a machine described by hand: 64 GiB,
/// 8 cores, 60 GB/s measured read, no GPU.
enum ServerFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let environment = ["CANRUN_DATA_DIR": repository + "/config"]

    /// The built canrund (`swift build --build-tests`), whether it is there, and `run`.
    static let canrund = repository + "/.build/debug/canrund"
    static var canrundBuilt: Bool { FileManager.default.isExecutableFile(atPath: canrund) }

    /// A running canrund with `folder`'s canrun.toml, its socket in `folder` and its state in
    /// `folder/state`; the caller stops it (`terminate`, `waitUntilExit`).
    static func startDaemon(in folder: String, extra: [String: String] = [:]) throws -> Process {
        let daemon = Process()
        daemon.executableURL = URL(fileURLWithPath: canrund)
        daemon.arguments = ["--socket", folder + "/canrun.sock", "--config", folder]
        daemon.environment = environment.merging([
            "STATE_DIRECTORY": folder + "/state", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "",
        ]) { _, b in b }.merging(extra) { _, b in b }
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        return daemon
    }

    static let bandwidth = BandwidthReport(
        threads: 8,
        bufferBytes: 1 << 28,
        durationS: 2,
        nodes: [.init(node: 0, readBytesPerS: 60_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0)],
        total: .init(readBytesPerS: 60_000_000_000, copyBytesPerS: 0, triadBytesPerS: 0),
        crossNode: nil,
        measuredAt: Date(timeIntervalSince1970: 1_800_000_000),
        kernelIsa: "avx2",
        stable: true,
        runs: [],
        theoreticalPeakBytesPerS: nil,
        fractionOfPeak: nil,
        fingerprint: "test",
        notes: []
    )

    static func snapshot(bandwidth: BandwidthReport? = ServerFixtures.bandwidth) throws -> APISnapshot {
        let (catalog, quants) = try CatalogFiles.shipped(environment: environment)
        let efficiency = try DataDirectory.efficiencyTable(environment: environment)
        var machine = MachineProfile(
            cpu: CPUFacts(vendor: "AuthenticAMD", packages: 1, cores: 8, threads: 16, isa: ["avx2", "fma"]),
            memory: MemoryFacts(totalBytes: 64 << 30, availableBytes: 60 << 30),
            numaNodes: [NUMANodeFacts(id: 0, memoryBytes: 64 << 30, cpus: Array(0..<16))],
            gpus: []
        )
        machine.cpu?.frequencyMaxMhz = 5000
        machine.bandwidth = bandwidth
        return APISnapshot(
            version: "test",
            engine: FitEngine(quants: quants, efficiency: efficiency),
            catalog: catalog,
            machine: machine
        )
    }

    /// Runs `executable` with `arguments`, `input` on its standard input: its exit status, and
    /// what it wrote to standard output and standard error.
    static func run(
        _ executable: String,
        _ arguments: [String],
        input: String
    ) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let output = String(decoding: stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let errors = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output, errors)
    }

    static func text(_ response: APIResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    static func json(_ response: APIResponse) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }
}

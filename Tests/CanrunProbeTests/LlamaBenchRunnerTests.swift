import CanrunProbe
import Foundation
import Testing

/// Running a llama-bench that misbehaves: shell scripts standing in for it, each failing one
/// way. canrun stops it, bounds what it keeps, and says what happened.
struct LlamaBenchRunnerTests {
    static func script(_ body: String) throws -> (path: String, folder: URL) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-fake-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent("llama-bench").path
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (path, folder)
    }

    static func message(_ body: String, timeout: TimeInterval = 60) throws -> String {
        let (path, folder) = try script(body)
        defer { try? FileManager.default.removeItem(at: folder) }
        do {
            let out = try LlamaBenchRunner.output(path, [], timeout: timeout)
            return "printed \(out.count) bytes"
        } catch {
            return error.description
        }
    }

    @Test func aFailureShowsTheEndOfItsErrors() throws {
        let said = try Self.message("echo early >&2; echo 'error: unknown model type' >&2; exit 3")
        #expect(said.hasPrefix("llama-bench failed (3): early"), "\(said)")
        #expect(said.contains("error: unknown model type"))
    }

    /// One that ignores SIGTERM is killed 5 s after it, and the error names the limit.
    @Test(.timeLimit(.minutes(1)))
    func oneThatHangsIsStopped() throws {
        let said = try Self.message("trap '' TERM; while :; do sleep 1; done", timeout: 1)
        #expect(said.hasSuffix("ran past 1 s and was stopped; raise --timeout"), "\(said)")
    }

    @Test func outputBeyond16MiBIsRefused() throws {
        let said = try Self.message("head -c 17000000 /dev/zero")
        #expect(said.hasSuffix("printed more than 16 MiB: that is not llama-bench's JSON"), "\(said)")
        #expect(try Self.message("head -c 1000 /dev/zero") == "printed 1000 bytes")
    }
}

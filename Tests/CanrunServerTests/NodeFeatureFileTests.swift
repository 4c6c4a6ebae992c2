import CanrunCore
import CanrunServer
import Foundation
import Testing

/// canrund keeps the Node Feature Discovery file it is configured with (issue 16): the built
/// daemon, a folder standing in for NFD's `features.d`, two configured models. Needs the binary
/// built (`swift build --build-tests`).
struct NodeFeatureFileTests {

    @Test(.enabled(if: ServerFixtures.canrundBuilt), .timeLimit(.minutes(2)))
    func canrundWritesTheLabels() throws {
        let folder = NSTemporaryDirectory() + "canrun-nfd-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder + "/features.d", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: folder + "/state", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let file = folder + "/features.d/canrun"
        try """
        [benchmark]
        on_start = false

        [metrics]
        models = ["qwen3-0.6b", "llama-3.1-405b@Q8_0"]

        [kubernetes]
        nfd_feature_file = "\(file)"
        """.write(toFile: folder + "/canrun.toml", atomically: true, encoding: .utf8)
        let daemon = try ServerFixtures.startDaemon(in: folder)
        defer {
            daemon.terminate()
            daemon.waitUntilExit()
        }
        var text = ""
        for _ in 0..<120 where text.isEmpty {
            Thread.sleep(forTimeInterval: 0.5)
            text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("# written by canrund") == true, "\(text)")
        // Whatever this machine is, 0.6 B fits it and 405 B at 8 bits does not.
        #expect(lines.contains("canrun-fits.qwen3-0.6b=true"), "\(text)")
        #expect(lines.contains("canrun-fits.llama-3.1-405b.Q8_0=false"), "\(text)")
        for line in lines.dropFirst() {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            #expect(
                parts.count == 2 && NodeFeatureLabels.isValid(parts[0]) && NodeFeatureLabels.isValid(parts[1]),
                "\(line)"
            )
        }
        // Only the file: the temporary one it was written through is gone.
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder + "/features.d") == ["canrun"])
    }
}

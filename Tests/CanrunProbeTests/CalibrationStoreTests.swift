import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// The stored calibration against the llama-bench that would run now: the same file by another
/// name (a link) is the same build; another file is another build, and the calibration is stale.
struct CalibrationStoreTests {
    @Test func anotherLlamaBenchFileMakesItStaleALinkDoesNot() throws {
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        for name in ["llama-bench", "other-llama-bench"] {
            #expect(FileManager.default.createFile(atPath: "\(folder)/\(name)", contents: Data("#!/bin/sh\n".utf8)))
        }
        try FileManager.default.createSymbolicLink(
            atPath: "\(folder)/link",
            withDestinationPath: "\(folder)/llama-bench"
        )
        let machine = MachineProfile(memory: MemoryFacts(totalBytes: 16 << 30))
        var calibration = MachineCalibration(
            fingerprint: HardwareFingerprint.of(machine),
            date: Date(timeIntervalSince1970: 1_796_688_000),
            llamaBuildCommit: "0c1e57098",
            llamaBuildNumber: 0,
            threads: 2,
            readBytesPerS: 30_000_000_000,
            runs: [],
            cpuWeightsPerCycle: ["Q4_0": 1.5],
            cpuPrefillEta: [:]
        )
        calibration.llamaBenchPath = "\(folder)/llama-bench"
        calibration.llamaBenchModified =
            try FileManager.default.attributesOfItem(atPath: "\(folder)/llama-bench")[.modificationDate] as? Date
        let store = CalibrationStore(directory: folder + "/state")
        try store.save(calibration)
        #expect(store.state(for: machine).stale == nil)
        #expect(store.state(for: machine, llamaBenchNow: "\(folder)/link").stale == nil)
        let other = store.state(for: machine, llamaBenchNow: "\(folder)/other-llama-bench")
        #expect(other.status == .applied)
        #expect(
            other.stale?.hasPrefix("llama-bench is now \(folder)/other-llama-bench") == true,
            "\(String(describing: other.stale))"
        )
    }
}

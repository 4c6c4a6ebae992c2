// Probe timings (issue: "live probe under 30 ms with PCI, replay under 5 ms"), printed, not
// asserted: the development machines are shared and noisy. Run with
//   swift run -c release ProbeBenchmark [runs]
// It reports the first probe in the process (plugin and pci.ids loading) apart from the median
// of the following runs, and each median against its target as a ratio (< 1.0 meets it).
import CanrunCore
import CanrunProbe
import Foundation

let runs = CommandLine.arguments.dropFirst().first.flatMap { Int($0) } ?? 50
let table = (try? DataDirectory.gpuTable()) ?? GPUTable(entries: [])
let known: @Sendable (PCIDeviceRecord) -> Bool = {
    table.lookup(vendorId: $0.vendorHex, deviceId: $0.deviceHex, subsystem: $0.subsystemHex) != nil
}

func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}

func measure(_ label: String, target: Double, _ body: () throws -> Void) rethrows {
    let first = try milliseconds(body)
    var samples: [Double] = []
    for _ in 0..<runs { samples.append(try milliseconds(body)) }
    samples.sort()
    let median = samples[samples.count / 2]
    let p90 = samples[samples.count * 9 / 10]
    print(
        label.padding(toLength: 38, withPad: " ", startingAt: 0)
            + String(
                format: "first %7.2f ms   median %7.2f ms   p90 %7.2f ms   target %5.1f ms   ratio %.2f",
                first,
                median,
                p90,
                target,
                median / target
            )
    )
}

print(
    "canrun probe benchmark: \(runs) runs each after a first, on \(ProcessInfo.processInfo.activeProcessorCount) CPUs"
)
measure("live probe, CPU + memory only", target: 30) {
    let (readings, _) = MachineProbe.probe(.init(nvmlLibrary: nil, includePCI: false))
    _ = ProfileAssembler.assemble(readings, gpuTable: table)
}
measure("live probe, with PCI, DRM, NVML", target: 30) {
    let (readings, _) = MachineProbe.probe(.init(hasOwnName: known))
    _ = ProfileAssembler.assemble(readings, gpuTable: table)
}

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("canrun-bench-\(getpid())").path
defer { try? FileManager.default.removeItem(atPath: folder) }
let (_, capture) = MachineProbe.probe(.init(hasOwnName: known))
try Recorder.write(capture, root: .live, to: folder)
try measure("replay of this machine's recording", target: 5) {
    _ = ProfileAssembler.assemble(try ReplaySource.read(folder), gpuTable: table)
}
let xml = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Tests/Fixtures/hwloc-xml/nvidiaDGX2.xml").path
try measure("replay of a DGX-2 hwloc XML (41 KB)", target: 5) {
    _ = ProfileAssembler.assemble(try ReplaySource.read(xml), gpuTable: table)
}

import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// The live probe on the machine running the tests, checked against the kernel's own answers.
struct LiveProbeTests {
    static func liveProfile() -> (MachineProfile, MachineProbe.Capture) {
        let (readings, capture) = MachineProbe.probe()
        return (ProfileAssembler.assemble(readings, gpuTable: FixtureFiles.gpuTable), capture)
    }

    @Test func matchesProcMeminfoAndTheOnlineCPUs() throws {
        let (profile, _) = Self.liveProfile()
        let meminfo = MeminfoParser.parse(try String(contentsOfFile: "/proc/meminfo", encoding: .utf8))
        #expect(profile.memory.totalBytes == meminfo.totalBytes)
        #expect(profile.cpu?.threads == Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let nodes = try #require(profile.numaNodes)
        #expect(!nodes.isEmpty)
        #expect(Set(nodes.flatMap(\.cpus)).count == profile.cpu?.threads)
        #expect(profile.cpu?.architecture == CPUFeatureProbe.machineArchitecture())
        #expect(profile.gpus != nil)
    }

    /// A single-node machine holds all of MemTotal on its node, whatever the kernel's per-node
    /// counter says while deferred page initialisation runs.
    @Test func singleNodeHoldsAllMemory() {
        let (profile, _) = Self.liveProfile()
        guard let nodes = profile.numaNodes, nodes.count == 1 else { return }
        #expect(nodes[0].memoryBytes == profile.memory.totalBytes)
    }

    #if arch(x86_64)
    /// Every x86-64 CPU has SSE2; canrun lists only what matters, and AVX only with XCR0 AVX state.
    @Test func isaIsConsistentWithXCR0() throws {
        let (profile, _) = Self.liveProfile()
        let cpu = try #require(profile.cpu)
        let support = CPUFeatureProbe.osSupport()
        let xcr0 = try #require(support.xcr0)
        if xcr0 & 0b110 != 0b110 { #expect(!cpu.isa.contains("avx2")) }
        #expect(Set(cpu.isa).isDisjoint(with: cpu.isaUnusable))
    }
    #endif

    /// Record this machine, replay the recording: the same machine comes back.
    @Test func recordThenReplayGivesTheSameProfile() throws {
        let (live, capture) = Self.liveProfile()
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        try Recorder.write(capture, root: .live, to: folder)
        let replayed = ProfileAssembler.assemble(try ReplaySource.read(folder), gpuTable: FixtureFiles.gpuTable)
        #expect(replayed.cpu?.model == live.cpu?.model)
        #expect(replayed.cpu?.cores == live.cpu?.cores)
        #expect(replayed.cpu?.threads == live.cpu?.threads)
        #expect(replayed.cpu?.caches == live.cpu?.caches)
        #expect(replayed.memory.totalBytes == live.memory.totalBytes)
        #expect(replayed.memory.modules == live.memory.modules)
        #expect(replayed.numaNodes?.map(\.cpus) == live.numaNodes?.map(\.cpus))
        #expect(replayed.gpus?.map(\.pciAddress) == live.gpus?.map(\.pciAddress))
        #expect(replayed.gpus?.map(\.memoryBytes) == live.gpus?.map(\.memoryBytes))
        let xml = try String(contentsOfFile: folder + "/topology.xml", encoding: .utf8)
        #expect(!xml.contains("name=\"HostName\" value=\"\(ProcessInfo.processInfo.hostName)\""))
    }
}

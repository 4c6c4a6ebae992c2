import CanrunCore
import Foundation
import Testing

struct CPUTests {
    /// XCR0 bits (Intel SDM vol. 1 §13.3): 1 SSE, 2 AVX, 5–7 opmask/ZMM_Hi256/Hi16_ZMM.
    static let avxOnly: UInt64 = 0b0000_0111
    static let avx512: UInt64 = 0b1110_0111

    @Test func amxRefusedByTheKernelIsUnusable() {
        let result = ISAAssessment.assess(
            flags: ["avx2", "avx512f", "amx_tile", "amx_bf16", "fma"],
            support: .init(xcr0: Self.avx512, amxPermitted: false)
        )
        #expect(result.usable == ["avx2", "avx512f", "fma"])
        #expect(result.unusable == ["amx_bf16", "amx_tile"])
        #expect(result.notes.count == 1)
    }

    @Test func avx512WithoutZMMStateIsUnusable() {
        let result = ISAAssessment.assess(
            flags: ["avx2", "avx512f", "avx512bw"],
            support: .init(xcr0: Self.avxOnly, amxPermitted: nil)
        )
        #expect(result.usable == ["avx2"])
        #expect(result.unusable == ["avx512bw", "avx512f"])
    }

    /// Replays have no live XCR0: flags are taken as usable, except AMX, which needs the grant.
    @Test func replaysTrustFlagsButNotAMX() {
        let result = ISAAssessment.assess(flags: ["avx512f", "amx_int8"], support: .init())
        #expect(result.usable == ["avx512f"])
        #expect(result.unusable == ["amx_int8"])
    }

    @Test func armNeonAndSVE() {
        let result = ISAAssessment.assess(flags: ["fp", "asimd", "asimddp", "sve", "i8mm"], support: .init())
        #expect(result.usable == ["asimd", "asimddp", "i8mm", "neon", "sve"])
    }

    @Test func cpuinfoKeepsOnlyFlagsEveryProcessorHas() {
        let text = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Core(TM) i7-1370P
            flags\t\t: fpu avx avx2 avx_vnni

            processor\t: 1
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Core(TM) i7-1370P
            flags\t\t: fpu avx avx2
            """
        let info = CPUInfoParser.parse(text)
        #expect(info.vendor == "GenuineIntel")
        #expect(info.model == "Intel(R) Core(TM) i7-1370P")
        #expect(info.flags == ["fpu", "avx", "avx2"])
    }

    /// ARM cpuinfo names the implementer by MIDR code (0x48 = HiSilicon, Kunpeng 920).
    @Test func cpuinfoOnARM() {
        let info = CPUInfoParser.parse(
            "processor\t: 0\nFeatures\t: fp asimd\nCPU implementer\t: 0x48\nCPU part\t: 0xd01\n"
        )
        #expect(info.vendor == "HiSilicon")
        #expect(info.flags == ["fp", "asimd"])
        #expect(info.armParts == [0: "0xd01"])
    }
}

struct ProfileJSONTests {
    /// DESIGN §3.1: unknown facts are present as `null`, keys are snake_case.
    @Test func unknownFactsEncodeAsNull() throws {
        let profile = MachineProfile(
            cpu: CPUFacts(vendor: "GenuineIntel", cores: 2),
            memory: MemoryFacts(totalBytes: 1024),
            numaNodes: [NUMANodeFacts(id: 0, memoryBytes: nil, cpus: [0, 1])],
            gpus: [],
            warnings: ["w"]
        )
        let data = try ProfileJSON.encoder().encode(profile)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["schema_version"] as? Int == 1)
        #expect(object["bandwidth"] is NSNull)
        let memory = try #require(object["memory"] as? [String: Any])
        #expect(memory["theoretical_bandwidth_bytes_per_s"] is NSNull)
        #expect(memory["modules"] is NSNull)
        #expect(memory["total_bytes"] as? Int == 1024)
        let cpu = try #require(object["cpu"] as? [String: Any])
        #expect(cpu["model"] is NSNull)
        let node = try #require((object["numa_nodes"] as? [[String: Any]])?.first)
        #expect(node["memory_bytes"] is NSNull)
        let decoded = try ProfileJSON.decoder().decode(MachineProfile.self, from: data)
        #expect(decoded == profile)
    }

    @Test func rendersSizesAndRanges() {
        #expect(ProfileText.bytes(25_276_510_208) == "23.5 GiB")
        #expect(ProfileText.rate(96_000_000_000) == "96.0 GB/s")
        #expect(ProfileText.rate(4_800_000_000_000) == "4.8 TB/s")
        #expect(ProfileText.ranges([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8")
    }
}

/// Other programs' share of the CPUs from /proc counters (`CPULoad`).
struct CPULoadTests {
    /// proc(5): user nice system idle iowait irq softirq steal guest guest_nice; idle and iowait
    /// are not busy.
    @Test func machineTicks() {
        let stat = "cpu  100 5 50 800 40 3 2 0 0 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1 2\n"
        let ticks = CPULoad.machineTicks(procStat: stat)
        #expect(ticks?.busy == 160)
        #expect(ticks?.total == 1000)
        #expect(CPULoad.machineTicks(procStat: "intr 1 2\n") == nil)
    }

    /// utime and stime are fields 14 and 15; a command name may hold spaces and parentheses.
    @Test func processTicks() {
        let line = "4242 (canrun (x) y) R 1 4242 4242 0 -1 4194304 100 0 0 0 37 12 0 0 20 0 3 0 5 0 0"
        #expect(CPULoad.processTicks(procSelfStat: line) == 49)
        #expect(CPULoad.processTicks(procSelfStat: "garbage") == nil)
    }

    /// 1000 ticks passed, 700 of them busy, 200 of those ours: others held half the machine.
    @Test func othersShare() {
        let a = CPULoad.Sample(busy: 1000, total: 10_000, own: 100)
        let b = CPULoad.Sample(busy: 1700, total: 11_000, own: 300)
        #expect(CPULoad.othersShare(from: a, to: b) == 0.5)
        #expect(CPULoad.othersShare(from: b, to: b) == nil)
        // Counters that disagree (our ticks above the machine's) clamp at 0.
        #expect(CPULoad.othersShare(from: a, to: .init(busy: 1100, total: 11_000, own: 900)) == 0)
    }
}

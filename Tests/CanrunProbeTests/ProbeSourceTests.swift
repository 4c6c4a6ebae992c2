import CanrunCore
import CanrunProbe
import Foundation
import Synchronization
import Testing

/// The adapters' failure paths and the recorded trees of Tests/Fixtures.
struct ProbeSourceTests {
    /// libpci's default error handler would exit the process; canrun's shim turns it into a throw.
    @Test func libpciErrorsAreThrownNotFatal() {
        #expect(throws: LibpciBus.ScanError.self) { try LibpciBus.scan(.dump("/nonexistent/lspci.txt")) }
        #expect(throws: LibpciBus.ScanError.self) { try LibpciBus.scan(.sysfs("/nonexistent/bus/pci")) }
    }

    /// pciutils' tree-asus-p6t6 dump: 53 functions; the GeForce 210 (10de:0a65) is the only GPU.
    @Test func libpciReadsADumpWithNames() throws {
        let devices = try LibpciBus.scan(.dump(FixtureFiles.path("pci/pciutils-tree-asus-p6t6.lspci-x.txt")))
        #expect(devices.count == 53)
        let gpus = devices.filter { GPUClassifier.classify($0) == .gpu }
        #expect(gpus.map(\.address) == ["0000:06:00.0"])
        #expect(gpus.first?.deviceId == 0x0A65)
        #expect(gpus.first?.vendorName?.contains("NVIDIA") == true)
    }

    /// ghw's ThinkPad snapshot lacks config, resource and subsystem files: 23 functions, the
    /// Iris Xe iGPU at 00:02.0 is integrated (shares system memory).
    @Test func sysfsReaderToleratesPartialTrees() throws {
        let folder = try FixtureFiles.unpack("pci/ghw-snapshot-thinkpad-x1c10-i7-1270P.tar.gz")
        defer { FixtureFiles.remove(folder) }
        let readings = try ReplaySource.read(folder)
        #expect(readings.pciDevices?.count == 23)
        let profile = ProfileAssembler.assemble(readings, gpuTable: FixtureFiles.gpuTable)
        #expect(profile.gpus?.count == 1)
        #expect(profile.gpus?.first?.unifiedMemory == true)
        #expect(profile.gpus?.first?.memoryBytes == nil)
    }

    /// openat2 answers EAGAIN when a rename elsewhere races a ".." it resolves, and every sysfs
    /// device link is "../../devices/…": while another thread renames a file as fast as it can
    /// (what atomic writes do on a busy machine), the recorded tree still reads whole every time.
    /// (Once, under the whole suite, one device in 23 was lost this way.)
    @Test func aRenameElsewhereLosesNoDevice() throws {
        let folder = try FixtureFiles.unpack("pci/ghw-snapshot-thinkpad-x1c10-i7-1270P.tar.gz")
        let scratch = try FixtureFiles.temporaryFolder()
        defer {
            FixtureFiles.remove(folder)
            FixtureFiles.remove(scratch)
        }
        let stop = Mutex(false)
        let renamer = Thread {
            _ = FileManager.default.createFile(atPath: scratch + "/a", contents: nil)
            var flip = false
            while !stop.withLock({ $0 }) {
                rename(scratch + (flip ? "/b" : "/a"), scratch + (flip ? "/a" : "/b"))
                flip.toggle()
            }
        }
        renamer.start()
        defer { stop.withLock { $0 = true } }
        for _ in 0..<20 {
            #expect(try ReplaySource.read(folder).pciDevices?.count == 23)
        }
    }

    /// Raw SMBIOS type-17 entries (DCS8000Z): 8 × 4096 MiB DDR3-1600 in DIMM_A1-A4, DIMM_B1-B4.
    /// Recording the tree and replaying the recording keeps them, with serials scrubbed.
    @Test func rawSMBIOSEntriesSurviveRecordAndReplay() throws {
        let tree = try FixtureFiles.unpack("hwloc-fsroot/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")
        defer { FixtureFiles.remove(tree) }
        let root = HostRoot(tree + "/32em64t-2n8c+1mic")
        let (readings, capture) = MachineProbe.probe(.init(root: root, nvmlLibrary: nil))
        let direct = ProfileAssembler.assemble(readings, gpuTable: FixtureFiles.gpuTable)
        #expect(direct.memory.modules?.count == 8)
        #expect(direct.memory.modules?.allSatisfy { $0.type == "DDR3" && $0.sizeBytes == 4 << 30 } == true)
        #expect(direct.memory.theoreticalBandwidthBytesPerS == 102_400_000_000)

        let recording = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(recording) }
        try Recorder.write(capture, root: root, to: recording)
        let replayed = ProfileAssembler.assemble(try ReplaySource.read(recording), gpuTable: FixtureFiles.gpuTable)
        #expect(replayed.memory.modules == direct.memory.modules)
        #expect(replayed.numaNodes == direct.numaNodes)
        #expect(replayed.cpu?.cores == direct.cpu?.cores)
        let original = try #require(capture.smbiosTable)
        let recorded = try Data(contentsOf: URL(fileURLWithPath: recording + "/sys/firmware/dmi/tables/DMI"))
        #expect(recorded.count == original.count)
        #expect(Array(recorded) == SMBIOSScrubber.scrub(original))
    }

    /// Under systemd canrund gets the root-only table as a credential file
    /// (`LoadCredential=dmi:…`) and reads it first; systemd's stand-in when it could not load the
    /// table (`SetCredential=dmi:unavailable`) is a warning, and the other sources are tried.
    @Test func smbiosTableFromSystemdsCredential() throws {
        let tree = try FixtureFiles.unpack("hwloc-fsroot/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")
        defer { FixtureFiles.remove(tree) }
        let table = try #require(SMBIOSSource.read(root: HostRoot(tree + "/32em64t-2n8c+1mic")).rawTable)
        let credentials = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(credentials) }
        let copy = credentials + "/dmi"
        try Data(table).write(to: URL(fileURLWithPath: copy))
        let empty = HostRoot(credentials)
        let fromCopy = SMBIOSSource.read(root: empty, tableCopy: copy)
        // The DCS8000Z's 8 × 4096 MiB DDR3-1600 modules (24 slots), as from the table itself.
        let modules = ProfileAssembler.assemble(
            ProbeReadings(smbios: fromCopy.reading),
            gpuTable: FixtureFiles.gpuTable
        )
        .memory.modules
        #expect(modules?.count == 8)
        #expect(modules?.allSatisfy { $0.type == "DDR3" && $0.sizeBytes == 4 << 30 } == true)
        #expect(fromCopy.rawTable == table)
        try Data((SMBIOSSource.unavailableSentinel + "\n").utf8).write(to: URL(fileURLWithPath: copy))
        let unavailable = SMBIOSSource.read(root: empty, tableCopy: copy)
        #expect(unavailable.reading == nil)
        #expect(unavailable.warnings.first == "systemd could not load the SMBIOS table for canrund (\(copy) says so)")
    }

    @Test func missingSourcesAreWarningsNotCrashes() throws {
        let empty = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(empty) }
        let (readings, _) = MachineProbe.probe(
            .init(root: HostRoot(empty), nvmlLibrary: "/nonexistent/libnvidia-ml.so.1")
        )
        let profile = ProfileAssembler.assemble(readings, gpuTable: FixtureFiles.gpuTable)
        #expect(profile.memory.totalBytes == nil)
        #expect(profile.memory.modules == nil)
        #expect(profile.gpus == nil)
        #expect(profile.warnings.contains { $0.contains("no SMBIOS table") })
        #expect(profile.warnings.contains { $0.contains("no PCI bus") })
        #expect(profile.warnings.contains { $0.contains("meminfo") })
    }

    @Test func replayErrorsSayWhatWasWrong() throws {
        #expect(throws: ReplaySource.ReplayError.notFound("/nonexistent/box")) {
            try ReplaySource.read("/nonexistent/box")
        }
        let folder = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(folder) }
        let junk = folder + "/junk.bin"
        _ = FileManager.default.createFile(atPath: junk, contents: Data([0, 1, 2, 3]))
        #expect(throws: ReplaySource.ReplayError.unrecognised(junk)) { try ReplaySource.read(junk) }
        let truncated = folder + "/topology.xml"
        _ = FileManager.default.createFile(atPath: truncated, contents: Data("<topology version=\"2.0\"><object".utf8))
        #expect(throws: HwlocXMLDecoder.DecodingError.self) { try ReplaySource.read(truncated) }
        // In a folder, a corrupt file is a warning and the rest still replays.
        let readings = try ReplaySource.read(folder)
        #expect(readings.warnings.contains { $0.contains("topology.xml could not be read") })
    }

    @Test func nvmlWithoutALibraryFailsCleanly() {
        guard case .failure(let failure) = NVMLLibrary.read(libraryPath: "/nonexistent/libnvidia-ml.so.1") else {
            Issue.record("a missing NVML library must fail")
            return
        }
        #expect(failure.message.contains("NVML not available"))
    }

    /// The amdgpu sysfs files of prometheus/procfs's fixture: 8176 MiB of VRAM on card0.
    @Test func drmReaderReadsAmdgpuFiles() throws {
        let folder = try FixtureFiles.unpackTtar("gpu/prometheus-procfs-fixtures.ttar")
        defer { FixtureFiles.remove(folder) }
        let readings = DRMSysfsReader.read(root: HostRoot(folder + "/fixtures"))
        #expect(readings.count == 1)
        #expect(readings.first?.memoryBytes == Int64(8_573_157_376))
        #expect(readings.first?.source == "amdgpu_sysfs")
        #expect(readings.first?.vendorId == 0x1002)
        // Its device directory says max_link_speed 8.0 GT/s PCIe, max_link_width 16.
        #expect(readings.first?.pcieLink == PCIeLink(generation: 3, width: 16, source: "sysfs"))
    }

    /// The same fixture's NVMe at 0000:01:00.0 sits below the root port 0000:00:02.1, both
    /// 8.0 GT/s x4; the sysfs reader follows /sys/bus/pci/devices' links into /sys/devices.
    @Test func sysfsReaderReadsTheLinkThroughBusLinks() throws {
        let folder = try FixtureFiles.unpackTtar("gpu/prometheus-procfs-fixtures.ttar")
        defer { FixtureFiles.remove(folder) }
        let devices = try #require(SysfsPCIReader.read(root: HostRoot(folder + "/fixtures")))
        let nvme = try #require(devices.first { $0.address == "0000:01:00.0" })
        #expect(nvme.link == PCIeLink(generation: 3, width: 4, source: "sysfs"))
    }

    /// A PCIe 4.0 x16 GPU in a slot whose root port is wired for PCIe 3.0 x8: the path's minimum
    /// (what the link trains to), not the card's own maximum.
    @Test func aSlowerSlotBoundsTheGPUsLink() throws {
        let root = try FixtureFiles.temporaryFolder()
        defer { FixtureFiles.remove(root) }
        let fm = FileManager.default
        let port = root + "/sys/devices/pci0000:00/0000:00:01.1"
        let card = port + "/0000:01:00.0"
        try fm.createDirectory(atPath: card, withIntermediateDirectories: true)
        let files: [(String, String)] = [
            (port + "/max_link_speed", "8.0 GT/s PCIe"), (port + "/max_link_width", "8"),
            (card + "/max_link_speed", "16.0 GT/s PCIe"), (card + "/max_link_width", "16"),
            (card + "/class", "0x030000"), (card + "/vendor", "0x10de"), (card + "/device", "0x2204"),
        ]
        for (path, text) in files { try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8) }
        try fm.createDirectory(atPath: root + "/sys/bus/pci/devices", withIntermediateDirectories: true)
        try fm.createSymbolicLink(
            atPath: root + "/sys/bus/pci/devices/0000:01:00.0",
            withDestinationPath: "../../../devices/pci0000:00/0000:00:01.1/0000:01:00.0"
        )
        let devices = try #require(SysfsPCIReader.read(root: HostRoot(root)))
        #expect(devices.map(\.address) == ["0000:01:00.0"])
        #expect(devices.first?.link == PCIeLink(generation: 3, width: 8, source: "sysfs"))
        let profile = ProfileAssembler.assemble(try ReplaySource.read(root), gpuTable: FixtureFiles.gpuTable)
        #expect(profile.gpus?.first?.pcieLink == PCIeLink(generation: 3, width: 8, source: "sysfs"))
        // A QEMU root port (vendor 1b36) in front of a passed-through GPU advertises 2.5 GT/s x1,
        // which no copy crosses at: not a hop.
        for (file, text) in [("vendor", "0x1b36"), ("max_link_speed", "2.5 GT/s PCIe"), ("max_link_width", "1")] {
            try (text + "\n").write(toFile: port + "/" + file, atomically: true, encoding: .utf8)
        }
        let passedThrough = try #require(SysfsPCIReader.read(root: HostRoot(root)))
        #expect(passedThrough.first?.link == PCIeLink(generation: 4, width: 16, source: "sysfs"))
    }
}

/// Hybrid CPUs as recorded (Tests/Fixtures/README, hwloc-fsroot section).
struct HybridCPUTests {
    /// DGX Spark: 10 × Cortex-X925 (MIDR part 0xd85, PUs 5-9,15-19) + 10 × Cortex-A725 (0xd87).
    @Test func gb10GroupsCoresByARMPart() throws {
        let folder = try FixtureFiles.unpack("hwloc-fsroot/nvidia-dgx-gb10.tar.bz2")
        defer { FixtureFiles.remove(folder) }
        let profile = ProfileAssembler.assemble(try ReplaySource.read(folder), gpuTable: FixtureFiles.gpuTable)
        let kinds = try #require(profile.cpu?.kinds)
        #expect(kinds.map(\.name) == ["Cortex-X925 (0xd85)", "Cortex-A725 (0xd87)"])
        #expect(kinds.map(\.cpus) == [[5, 6, 7, 8, 9, 15, 16, 17, 18, 19], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]])
        // llama.cpp counts performance cores on hybrid x86 only: every ARM core runs a thread.
        #expect(profile.cpu?.llamaDefaultThreads == 20)
    }

    /// arm64 kernels print no model name: a machine of one core kind is named by its MIDR part,
    /// in its implementer's numbering (128 × HiSilicon 0xd01, the Kunpeng 920's TaiShan v110, which
    /// is not Arm's Cortex table).
    @Test func armCoresAreNamedByTheirPart() throws {
        let folder = try FixtureFiles.unpack("hwloc-fsroot/128arm-2pa2n8cluster4co.tar.bz2")
        defer { FixtureFiles.remove(folder) }
        let profile = ProfileAssembler.assemble(try ReplaySource.read(folder), gpuTable: FixtureFiles.gpuTable)
        #expect(profile.cpu?.vendor == "HiSilicon")
        #expect(profile.cpu?.model == "HiSilicon part 0xd01")
        #expect(profile.cpu?.kinds.isEmpty == true)
    }

    /// Core i7-1370P: 6 P-cores with HT (PUs 0-11, max 5000 MHz) and 8 E-cores (PUs 12-19, 3900 MHz).
    @Test func intelHybridKindsByClock() throws {
        let folder = try FixtureFiles.unpack("hwloc-fsroot/20em64t-hybrid-1p6c2t+2ca4co1t.tar.bz2")
        defer { FixtureFiles.remove(folder) }
        let profile = ProfileAssembler.assemble(try ReplaySource.read(folder), gpuTable: FixtureFiles.gpuTable)
        let kinds = try #require(profile.cpu?.kinds)
        #expect(kinds.map(\.name) == ["efficiency", "performance"])
        #expect(kinds.map(\.cpus) == [Array(12...19), Array(0...11)])
        #expect(kinds.map(\.frequencyMaxMhz) == [3900, 5000])
        // llama.cpp runs one thread per P-core by default: 12 P-core PUs less 6 SMT siblings.
        #expect(profile.cpu?.cores == 14)
        #expect(profile.cpu?.llamaDefaultThreads == 6)
    }
}

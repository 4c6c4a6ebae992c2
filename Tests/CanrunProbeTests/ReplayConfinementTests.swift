import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// A recording replayed (as root, in CI) never reads outside itself (issue 11, "Files and
/// state"): run as root, a recording whose `cpuinfo` linked to a root-only file printed that
/// file as the CPU model. Both resolutions are tested: the kernel's (`openat2`) and the
/// realpath check kernels before 5.6 get.
struct ReplayConfinementTests {
    static let resolutions: [BeneathRoot.Resolution] = [.kernel, .realpathCheck]

    /// A secret outside the recording, in the form a cpuinfo and a meminfo would have, and a
    /// recording folder beside it. Returns (base folder to remove, recording, secret folder).
    static func setUp() throws -> (String, String, String) {
        let base = try FixtureFiles.temporaryFolder()
        let secret = base + "/secret"
        let recording = base + "/recording"
        for folder in [secret, recording] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try Data("processor\t: 0\nmodel name\t: SECRET-CONTENT\n".utf8)
            .write(to: URL(fileURLWithPath: secret + "/cpuinfo"))
        try Data("MemTotal:       123456 kB\n".utf8).write(to: URL(fileURLWithPath: secret + "/meminfo"))
        chmod(secret + "/cpuinfo", 0o400)
        return (base, recording, secret)
    }

    /// `cpuinfo` a link to the secret: not followed, said, the content never in the profile.
    @Test(arguments: resolutions)
    func aFileLinkedOutIsNotRead(_ resolution: BeneathRoot.Resolution) throws {
        let (base, recording, secret) = try Self.setUp()
        defer { FixtureFiles.remove(base) }
        try FileManager.default.createSymbolicLink(
            atPath: recording + "/cpuinfo",
            withDestinationPath: secret + "/cpuinfo"
        )
        let readings = try ReplaySource.read(recording, resolution: resolution)
        #expect(readings.cpuinfo == nil)
        #expect(
            readings.warnings.contains(
                "cpuinfo of the recording not read: \(recording)/cpuinfo is a symbolic link (not followed)"
            )
        )
        let profile = ProfileAssembler.assemble(readings, gpuTable: FixtureFiles.gpuTable)
        #expect(!String(decoding: try ProfileJSON.encoder().encode(profile), as: UTF8.self).contains("SECRET"))
    }

    /// `proc` a link to the secret's folder: the kernel's resolution stops at the link, whatever
    /// the last component is; the tree is not handed to hwloc either.
    @Test(arguments: resolutions)
    func aFolderLinkedOutIsNotRead(_ resolution: BeneathRoot.Resolution) throws {
        let (base, recording, secret) = try Self.setUp()
        defer { FixtureFiles.remove(base) }
        try FileManager.default.createSymbolicLink(atPath: recording + "/proc", withDestinationPath: secret)
        let readings = try ReplaySource.read(recording, resolution: resolution)
        #expect(readings.cpuinfo == nil)
        #expect(readings.meminfo == nil)
        #expect(
            readings.warnings.contains(
                "proc/cpuinfo of the recording not read: \(recording)/proc/cpuinfo resolves outside \(recording) (a symbolic link leads out of it): not read"
            )
        )
        #expect(
            readings.warnings.contains(
                "topology of the recorded tree unknown: \(recording)/proc is a symbolic link to \(secret), outside the recording \(recording): the recorded tree is not read"
            )
        )
    }

    /// A relative link that climbs out (`../../secret`) is as much out as an absolute one: the
    /// kernel resolves it, no look at its text.
    @Test(arguments: resolutions)
    func aRelativeLinkClimbingOutIsRefused(_ resolution: BeneathRoot.Resolution) throws {
        let (base, recording, _) = try Self.setUp()
        defer { FixtureFiles.remove(base) }
        let system = recording + "/sys/devices/system"
        try FileManager.default.createDirectory(atPath: system, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: system + "/node", withDestinationPath: "../../../../secret")
        // A link that stays inside is fine (sysfs trees are full of them).
        try FileManager.default.createSymbolicLink(atPath: system + "/inside", withDestinationPath: "../../devices")
        let root = HostRoot(recording, resolution: resolution)
        #expect(
            throws: TreeLinkCheck.Refusal(
                link: recording + "/sys/devices/system/node",
                target: "../../../../secret",
                root: recording
            )
        ) { try TreeLinkCheck.check(root) }
        #expect(throws: TreeLinkCheck.Refusal.self) { try HwlocTopologyLoader.exportXML(root: root) }
        try FileManager.default.removeItem(atPath: system + "/node")
        try TreeLinkCheck.check(root)
    }

    /// Recorded trees of real machines pass the check: all their links stay inside.
    @Test func realRecordingsPassTheCheck() throws {
        let tree = try FixtureFiles.unpack("hwloc-fsroot/32em64t-2n8c+dax+nvme+mic+dimms.tar.bz2")
        defer { FixtureFiles.remove(tree) }
        for resolution in Self.resolutions {
            try TreeLinkCheck.check(HostRoot(tree + "/32em64t-2n8c+1mic", resolution: resolution))
        }
    }

    /// The sysfs readers read beneath the root too: a PCI device's `vendor` linked out is
    /// not read.
    @Test(arguments: resolutions)
    func sysfsAttributesStayInside(_ resolution: BeneathRoot.Resolution) throws {
        let (base, recording, secret) = try Self.setUp()
        defer { FixtureFiles.remove(base) }
        let device = recording + "/sys/bus/pci/devices/0000:01:00.0"
        try FileManager.default.createDirectory(atPath: device, withIntermediateDirectories: true)
        try Data("0x030000\n".utf8).write(to: URL(fileURLWithPath: device + "/class"))
        try FileManager.default.createSymbolicLink(atPath: device + "/vendor", withDestinationPath: secret + "/cpuinfo")
        let root = HostRoot(recording, resolution: resolution)
        #expect(root.attribute(device + "/class") == "0x030000")
        #expect(root.attribute(device + "/vendor") == nil)
        #expect(root.attribute(recording + "/../secret/meminfo") == nil)
        let devices = try #require(SysfsPCIReader.read(root: root))
        #expect(devices.map(\.vendorId) == [0])
    }
}

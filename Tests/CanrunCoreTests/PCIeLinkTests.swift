import CanrunCore
import Foundation
import Testing

struct PCIeLinkTests {
    /// Rate × encoding ÷ 8 × lanes: 8b/10b up to 5 GT/s, 128b/130b from 8 GT/s (PCI-SIG);
    /// PCIe 4.0 x16 = 16e9 × 128/130 ÷ 8 × 16 = 31.507692 GB/s, as hwloc prints it.
    @Test(arguments: [
        ("2.5 GT/s PCIe", "1", Int64(250_000_000), 1),
        ("5.0 GT/s PCIe", "8", Int64(4_000_000_000), 2),
        ("8 GT/s", "4", Int64(3_938_461_538), 3),
        ("16.0 GT/s PCIe", "16", Int64(31_507_692_308), 4),
        ("32.0 GT/s PCIe", "16", Int64(63_015_384_615), 5),
    ])
    func sysfsSpeedAndWidth(_ speed: String, _ width: String, _ bytes: Int64, _ generation: Int) throws {
        let link = try #require(PCIeLink(sysfsSpeed: speed, width: width))
        #expect(link.bytesPerS == bytes)
        #expect(link.generation == generation)
        #expect(link.width == Int(width))
        #expect(link.label == "PCIe \(generation).0 x\(width)")
    }

    /// Anything outside what PCIe defines (2.5-64 GT/s, 1-32 lanes) is a corrupt source, not a link.
    @Test(arguments: [
        ("Unknown", "16"), ("16.0 GT/s PCIe", "0"), ("", ""), ("fast", "16"), ("128.0 GT/s PCIe", "16"),
        ("16.0 GT/s PCIe", "64"), ("inf GT/s", "16"), ("nan GT/s", "16"), ("1e300 GT/s", "16"),
    ])
    func unreadableLinksAreUnknown(_ speed: String, _ width: String) {
        #expect(PCIeLink(sysfsSpeed: speed, width: width) == nil)
    }

    @Test(arguments: [0, 0.1, 300, .infinity, .nan, 1e300])
    func implausibleHwlocRatesAreUnknown(_ gigabytes: Double) {
        #expect(PCIeLink(gigabytesPerS: gigabytes, source: "hwloc") == nil)
    }

    /// hwloc's rate is the link's state when recorded (an idle GPU's may be Gen 1); a driver
    /// tool's maximum beats it, and sysfs's maximum beats both.
    @Test func maximumLinksBeatHwlocsCurrentOne() throws {
        let idle = PCIeLink(bytesPerS: 4_000_000_000, source: "hwloc")
        let toolMaximum = try #require(PCIeLink(generation: 4, width: 16, source: "nvidia-smi"))
        let tool = GPUDriverReading(
            pciAddress: "0000:01:00.0",
            memoryBytes: 24 << 30,
            pcieLink: toolMaximum,
            source: "nvidia-smi"
        )
        var readings = ProbeReadings()
        readings.topology = TopologyFacts(pciDevices: [
            PCIDeviceRecord(address: "0000:01:00.0", vendorId: 0x10DE, deviceId: 0x2204, classCode: 0x0300, link: idle)
        ])
        readings.driverReadings = [tool]
        let gpus = ProfileAssembler.assemble(readings, gpuTable: GPUTable(entries: [])).gpus ?? []
        #expect(gpus.first?.pcieLink == toolMaximum)
        readings.driverReadings = []
        #expect(ProfileAssembler.assemble(readings, gpuTable: GPUTable(entries: [])).gpus?.first?.pcieLink == idle)
        let sysfs = try #require(PCIeLink(generation: 3, width: 8, source: "sysfs"))
        readings.pciDevices = [
            PCIDeviceRecord(address: "0000:01:00.0", vendorId: 0x10DE, deviceId: 0x2204, classCode: 0x0300, link: sysfs)
        ]
        readings.driverReadings = [tool]
        #expect(ProfileAssembler.assemble(readings, gpuTable: GPUTable(entries: [])).gpus?.first?.pcieLink == sysfs)
    }

    /// A Gen 5 x8 card behind a Gen 4 x16 port trains to Gen 4 x8.
    @Test func aPathRunsAtEachHopsMinimum() throws {
        let card = try #require(PCIeLink(generation: 5, width: 8, source: "sysfs"))
        let port = try #require(PCIeLink(generation: 4, width: 16, source: "sysfs"))
        let path = card.bottleneck(port)
        #expect(path.generation == 4)
        #expect(path.width == 8)
        #expect(path.bytesPerS == 15_753_846_154)
        let rateOnly = PCIeLink(bytesPerS: 4_000_000_000, source: "hwloc")
        #expect(card.bottleneck(rateOnly) == rateOnly)
        #expect(rateOnly.label == "a 4.0 GB/s PCIe link")
    }

    /// `max_link_gen` × `max_link_width` of each GPU (values read from the fixtures); the RTX 3090
    /// idles at Gen 1 (`current_link_gen`), which canrun does not take.
    @Test(arguments: [
        ("a100-sxm4-v12", 4), ("dual_a5000-v13", 4), ("gtx-1660-ti", 3), ("quadro-p2000-v12", 3),
        ("rtx-3090-v12", 4), ("rtx-4000-sff-ada-v13", 4), ("tesla-t4", 3),
    ])
    func nvidiaSmiMaximumLink(_ name: String, _ generation: Int) throws {
        let result = try NvidiaSmiXMLReader.read(try CoreFixtures.data("gpu/nvidia-smi-q-x.\(name).xml"))
        #expect(!result.gpus.isEmpty)
        for gpu in result.gpus {
            #expect(gpu.pcieLink == PCIeLink(generation: generation, width: 16, source: "nvidia-smi"))
        }
    }

    /// hwloc's `pci_link_speed` (GB/s) on LLNL Lassen's V100s: PCIe 3.0 x16, 15.753846 GB/s.
    @Test func hwlocLinkSpeed() throws {
        let topology = try HwlocXMLDecoder.decode(try CoreFixtures.data("hwloc-xml/mpibind-coral-lassen.xml"))
        let gpu = try #require(topology.pciDevices.first { $0.address == "0004:04:00.0" })
        #expect(gpu.link == PCIeLink(bytesPerS: 15_753_846_000, source: "hwloc"))
        let bmc = try #require(topology.pciDevices.first { $0.address == "0002:02:00.0" })
        #expect(bmc.link == nil)
    }
}

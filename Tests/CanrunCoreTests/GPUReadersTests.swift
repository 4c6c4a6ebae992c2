import CanrunCore
import Foundation
import Testing

struct GPUReadersTests {
    /// A100 with MIG: the GPU's own fb_memory_usage total (81920 MiB), not a MIG slice's 19968 MiB;
    /// `attached_gpus` says 4 while one <gpu> is described. PCI id 20B210DE = device 20b2, vendor 10de.
    @Test func nvidiaSmiReadsTheGPUNotItsMIGSlices() throws {
        let result = try NvidiaSmiXMLReader.read(try CoreFixtures.data("gpu/nvidia-smi-q-x.a100-sxm4-v12.xml"))
        #expect(result.gpus.count == 1)
        let gpu = try #require(result.gpus.first)
        #expect(gpu.memoryBytes == Int64(85_899_345_920))
        #expect(gpu.vendorId == 0x10DE)
        #expect(gpu.deviceId == 0x20B2)
        #expect(gpu.subsystem == "10de:147f")
        #expect(gpu.pciAddress == "0000:01:00.0")
        #expect(gpu.name == "NVIDIA A100-SXM4-80GB")
        #expect(result.problems.count == 1)
    }

    @Test func nvidiaSmiRedactedIdsStayUnknown() throws {
        let result = try NvidiaSmiXMLReader.read(try CoreFixtures.data("gpu/nvidia-smi-q-x.rtx-3090-v12.xml"))
        #expect(result.gpus.first?.deviceId == nil)
        #expect(result.gpus.first?.memoryBytes == Int64(25_769_803_776))
    }

    /// The power limit in force, from each schema's element (`power_readings/enforced_power_limit`
    /// up to v11, `gpu_power_readings/current_power_limit` from v12): this RTX 3090 is capped at
    /// 200 W of its default 350 W, this A100 SXM4 is the 500 W board.
    @Test(arguments: [
        ("rtx-3090-v12", 200.0), ("a100-sxm4-v12", 500), ("tesla-t4", 70), ("gtx-1660-ti", 130),
        ("quadro-p2000-v12", 75), ("rtx-4000-sff-ada-v13", 70), ("dual_a5000-v13", 230),
    ])
    func nvidiaSmiReadsThePowerLimitInForce(_ fixture: String, _ watts: Double) throws {
        let result = try NvidiaSmiXMLReader.read(try CoreFixtures.data("gpu/nvidia-smi-q-x.\(fixture).xml"))
        #expect(!result.gpus.isEmpty)
        for gpu in result.gpus { #expect(gpu.powerLimitW == watts) }
    }

    @Test func nvidiaSmiRejectsOtherXML() {
        #expect(throws: (any Error).self) { try NvidiaSmiXMLReader.read(Data("<topology/>".utf8)) }
    }

    /// Without resizable BAR the visible VRAM is 256 MiB; the VRAM is 12868124672 B.
    @Test func rocmSmiUsesTotalNotVisibleVRAM() throws {
        let gpus = try RocmSmiJSONReader.read(try CoreFixtures.data("gpu/rocm-smi-json.rx6700xt_rocm612.json"))
        #expect(gpus.count == 1)
        #expect(gpus[0].memoryBytes == 12_868_124_672)
        #expect(gpus[0].deviceId == 0x73DF)
        #expect(gpus[0].pciAddress == "0000:07:00.0")
        #expect(gpus[0].memoryFreeBytes == Int64(11_295_379_456))
    }

    /// ROCm 6.0 wrote `Device ID`; older releases `GPU ID`.
    @Test func rocmSmiReadsOlderKeys() throws {
        let gpus = try RocmSmiJSONReader.read(try CoreFixtures.data("gpu/rocm-smi-json.vega-20-WKS-GL-XE.json"))
        #expect(gpus.first?.deviceId == 0x66A1)
        #expect(gpus.first?.name == "Radeon Instinct MI50 32GB")
    }

    @Test(arguments: ["not json", "[1,2]", "{\"system\": {}}"])
    func rocmSmiRejectsOtherJSON(_ text: String) {
        #expect(throws: RocmSmiJSONReader.ReadError.self) { try RocmSmiJSONReader.read(Data(text.utf8)) }
    }

    /// NVML bandwidth = bus width ÷ 8 × max memory clock × 2: H100 SXM 5120 bit × 2619 MHz.
    @Test func bandwidthFromBusWidthAndClock() {
        let reading = GPUDriverReading(busWidthBits: 5120, maxMemoryClockMhz: 2619, source: "nvml")
        #expect(reading.bandwidthBytesPerS == 3_352_320_000_000)
        #expect(GPUDriverReading(busWidthBits: 0, maxMemoryClockMhz: 2619, source: "nvml").bandwidthBytesPerS == nil)
    }
}

struct GPUTableTests {
    @Test func shippedTableLoadsAndCoversTheRequiredGenerations() {
        let table = CoreFixtures.gpuTable
        #expect(table.entries.count >= 150)
        let architectures = Set(table.entries.compactMap(\.architecture))
        for required in ["Volta", "Turing", "Ampere", "Ada Lovelace", "Hopper", "Blackwell", "CDNA 3", "RDNA 3"] {
            #expect(architectures.contains(required), "\(required)")
        }
        #expect(table.entries.allSatisfy { !($0.sources ?? []).isEmpty })
    }

    /// PCI ids from pci.ids (pciutils/pciids); H200 SXM: 141 GB HBM3e, 4.8 TB/s (NVIDIA data sheet).
    @Test func looksUpCurrentGPUsDebianDoesNotKnow() throws {
        let table = CoreFixtures.gpuTable
        let h200 = try #require(table.lookup(vendorId: "10de", deviceId: "2335"))
        #expect(h200.name.contains("H200"))
        #expect(h200.bandwidthGbs == 4800)
        // NVIDIA's data sheet: "PCIe Gen5: 128GB/s" (both directions); the RTX 4060 Ti is an x8 card.
        #expect(h200.pcieLink?.label == "PCIe 5.0 x16")
        #expect(table.lookup(productName: "GeForce RTX 4060 Ti 16GB")?.pcieLink?.label == "PCIe 4.0 x8")
        #expect(table.lookup(vendorId: "1002", deviceId: "74a1")?.name.contains("MI300X") == true)
        #expect(table.lookup(vendorId: "10de", deviceId: "2684")?.name == "GeForce RTX 4090")
        #expect(table.lookup(vendorId: "10de", deviceId: "ffff") == nil)
    }

    /// 10de:25b6 is both A2 and A16; the subsystem decides.
    @Test func subsystemSpecificEntriesWin() {
        let table = CoreFixtures.gpuTable
        #expect(table.lookup(vendorId: "10de", deviceId: "25b6", subsystem: "10de:157e")?.name.contains("A2") == true)
        #expect(table.lookup(vendorId: "10de", deviceId: "25b6", subsystem: "10de:14a9")?.name.contains("A16") == true)
    }

    /// amdgpu.ids (mesa/drm) names AMD products by device id and PCI revision: a revision entry
    /// wins over the id's fallback, a subsystem entry over both, and an unknown revision gets the
    /// fallback.
    @Test func revisionSpecificEntriesWin() throws {
        let entry = { (name: String, key: String) in
            "[[gpu]]\nvendor_id = \"1002\"\ndevice_ids = [\"744c\"]\n\(key)\nname = \"\(name)\"\nvendor = \"AMD\"\n"
        }
        let table = try GPUTable(
            toml: entry("Navi 31 (fallback)", "") + entry("Radeon RX 7900 XTX", "revision_ids = [\"C8\"]")
                + entry("Board by subsystem", "subsystem_ids = [\"1002:0e3b\"]")
        )
        #expect(table.lookup(vendorId: "1002", deviceId: "744c", revision: 0xc8)?.name == "Radeon RX 7900 XTX")
        #expect(table.lookup(vendorId: "1002", deviceId: "744c", revision: 0xcc)?.name == "Navi 31 (fallback)")
        #expect(table.lookup(vendorId: "1002", deviceId: "744c")?.name == "Navi 31 (fallback)")
        #expect(
            table.lookup(vendorId: "1002", deviceId: "744c", subsystem: "1002:0e3b", revision: 0xc8)?.name
                == "Board by subsystem"
        )
        #expect(throws: GPUTable.LoadError.self) { try GPUTable(toml: entry("x", "revision_ids = [\"c\"]")) }
    }

    @Test func looksUpByProductName() {
        #expect(
            CoreFixtures.gpuTable.lookup(productName: "NVIDIA GeForce RTX 3090")?.deviceIds.contains("2204") == true
        )
    }

    @Test func badTablesAreClearErrors() throws {
        #expect(throws: GPUTable.LoadError.self) { try GPUTable(toml: "[[gpu]\nname=") }
        let card = "[[gpu]]\nvendor_id = \"10de\"\ndevice_ids = [\"2684\"]\nname = \"x\"\nvendor = \"NVIDIA\"\n"
        let pairing = GPUTable.LoadError.invalidEntry(
            index: 0,
            reason: "pcie_generation (1-6) and pcie_lanes (1-32) come together"
        )
        #expect(throws: pairing) { try GPUTable(toml: card + "pcie_generation = 4\n") }
        #expect(throws: pairing) { try GPUTable(toml: card + "pcie_generation = 9\npcie_lanes = 16\n") }
        #expect(
            try GPUTable(toml: card + "pcie_generation = 4\npcie_lanes = 8\n").entries.first?.pcieLink?.label
                == "PCIe 4.0 x8"
        )
        // A board power no board has is refused, NaN and infinity among them.
        for watts in ["0", "-350", "1e9", "nan", "inf"] {
            #expect(throws: GPUTable.LoadError.self, "\(watts)") {
                try GPUTable(toml: card + "board_power_w = \(watts)\n")
            }
        }
        #expect(try GPUTable(toml: card + "board_power_w = 450\n").entries.first?.peaks?.boardPowerW == 450)
        #expect(throws: GPUTable.LoadError.invalidEntry(index: 0, reason: "vendor_id 'nvidia' is not 4 hex digits")) {
            try GPUTable(
                toml: "[[gpu]]\nvendor_id = \"nvidia\"\ndevice_ids = [\"2684\"]\nname = \"x\"\nvendor = \"NVIDIA\"\n"
            )
        }
    }

    @Test func classifiesByClassAndVendor() {
        func device(_ vendor: UInt16, _ cls: UInt16, _ address: String = "0000:01:00.0") -> PCIDeviceRecord {
            PCIDeviceRecord(address: address, vendorId: vendor, deviceId: 1, classCode: cls)
        }
        #expect(GPUClassifier.classify(device(0x10DE, 0x0302)) == .gpu)
        #expect(GPUClassifier.classify(device(0x1002, 0x1200)) == .gpu)
        #expect(GPUClassifier.classify(device(0x1002, 0x0380)) == .gpu)
        #expect(GPUClassifier.classify(device(0x10DE, 0x0680)) == .notAccelerator)  // NVSwitch
        #expect(GPUClassifier.classify(device(0x1A03, 0x0300)) == .notAccelerator)  // ASPEED BMC
        #expect(GPUClassifier.classify(device(0x1AF4, 0x0300)) == .notAccelerator)  // virtio-gpu
        #expect(GPUClassifier.classify(device(0x1BCF, 0x0B40)) == .otherAccelerator)  // NEC VE
        #expect(GPUClassifier.isIntegrated(device(0x8086, 0x0300, "0000:00:02.0"), entry: nil))
        #expect(!GPUClassifier.isIntegrated(device(0x8086, 0x0300, "0000:03:00.0"), entry: nil))
    }
}

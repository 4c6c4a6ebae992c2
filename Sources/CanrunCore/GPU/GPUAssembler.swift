/// Builds the GPU list of a profile from PCI functions, hwloc OS devices, GPU memory NUMA
/// nodes and driver readings, in that order of identity and the reverse order of trust for
/// memory: a driver's figure beats hwloc's, which beats the table's nominal one.
struct GPUAssembler {
    let readings: ProbeReadings
    let table: GPUTable
    private(set) var warnings: [String] = []

    /// Bounds every driver reading and hwloc memory info first (`PhysicalBounds`): a GPU
    /// memory of Int64.max in a recording is unknown, with a warning, never a number.
    init(readings: ProbeReadings, table: GPUTable) {
        var bounded = readings
        var problems: [String] = []
        bounded.driverReadings = readings.driverReadings.map { $0.bounded(problems: &problems) }
        for device in readings.topology?.pciDevices ?? [] {
            for os in device.osDevices {
                for key in Self.memoryInfoKeys.map(\.key) + ["VectorEngineMemorySize"] {
                    guard let value = os.infos[key] else { continue }
                    _ = Self.kibibytes(value, from: "hwloc \(device.address) \(os.name) \(key)", problems: &problems)
                }
            }
        }
        self.readings = bounded
        self.table = table
        self.warnings = problems
    }

    /// The PCI functions to look at, with hwloc's OS devices folded into libpci's records.
    private var devices: [PCIDeviceRecord]? {
        let fromHwloc = readings.topology?.pciDevices ?? []
        guard var devices = readings.pciDevices else { return fromHwloc.isEmpty ? nil : fromHwloc }
        for index in devices.indices {
            if let twin = fromHwloc.first(where: { $0.address == devices[index].address }) {
                devices[index].osDevices = twin.osDevices
                if devices[index].numaNode == nil { devices[index].numaNode = twin.numaNode }
                if devices[index].link == nil { devices[index].link = twin.link }
            }
        }
        return devices
    }

    var source: String? {
        if readings.pciDevices != nil { return readings.pciSource ?? "libpci" }
        if !(readings.topology?.pciDevices.isEmpty ?? true) { return "hwloc" }
        return readings.driverReadings.first?.source
    }

    func gpus() -> [GPUFacts]? {
        let pci = devices
        let memoryNodes = readings.topology?.gpuMemoryNodes ?? []
        guard pci != nil || !readings.driverReadings.isEmpty || !memoryNodes.isEmpty else { return nil }
        var result: [GPUFacts] = []
        var usedReadings = Set<Int>()
        for device in pci ?? [] where GPUClassifier.classify(device) == .gpu {
            let readingIndex = readings.driverReadings.firstIndex { $0.pciAddress == device.address }
            if let readingIndex { usedReadings.insert(readingIndex) }
            result.append(gpu(device, reading: readingIndex.map { readings.driverReadings[$0] }))
        }
        for node in memoryNodes
        where node.pciAddress != nil && !result.contains(where: { $0.pciAddress == node.pciAddress }) {
            // Only NVIDIA's driver onlines GPU memory as NUMA nodes (hwloc's
            // HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES), even where sysfs lacks the PCI ids. A node
            // without an address (hwloc 1) names no GPU: its GPU is among the PCI devices.
            result.append(
                GPUFacts(
                    pciAddress: node.pciAddress,
                    vendorId: "10de",
                    vendor: "NVIDIA",
                    memoryBytes: node.bytes,
                    memorySource: "numa_node",
                    numaNode: singleHostNode,
                    pciClass: nil
                )
            )
        }
        for (index, reading) in readings.driverReadings.enumerated() where !usedReadings.contains(index) {
            if let address = reading.pciAddress, result.contains(where: { $0.pciAddress == address }) { continue }
            result.append(gpu(reading))
        }
        return result.sorted { ($0.pciAddress ?? "~") < ($1.pciAddress ?? "~") }
    }

    func otherAccelerators() -> [AcceleratorFacts] {
        (devices ?? []).filter { GPUClassifier.classify($0) == .otherAccelerator }.map { device in
            let memoryKiB = device.osDevices.lazy.compactMap { $0.infos["VectorEngineMemorySize"] }.first
            return AcceleratorFacts(
                pciAddress: device.address,
                vendorId: device.vendorHex,
                deviceId: device.deviceHex,
                pciClass: device.classHex,
                name: device.deviceName,
                memoryBytes: memoryKiB.flatMap(GPUAssembler.kibibytes)
            )
        }
    }

    private var singleHostNode: Int? {
        guard let nodes = readings.topology?.numaNodes, nodes.count == 1 else { return nil }
        return nodes[0].id
    }

    private func gpu(_ device: PCIDeviceRecord, reading: GPUDriverReading?) -> GPUFacts {
        let entry = table.lookup(
            vendorId: device.vendorHex,
            deviceId: device.deviceHex,
            subsystem: device.subsystemHex,
            revision: device.revision
        )
        var gpu = GPUFacts(
            pciAddress: device.address,
            vendorId: device.vendorHex,
            deviceId: device.deviceHex,
            subsystemId: device.subsystemHex,
            vendor: GPUClassifier.gpuVendors[device.vendorId],
            numaNode: device.numaNode ?? singleHostNode,
            unifiedMemory: GPUClassifier.isIntegrated(device, entry: entry),
            pciClass: device.classHex,
            driver: device.driver ?? reading?.driver,
            pcieLink: PCIeLink.preferred(device.link, reading?.pcieLink)
        )
        let model = device.osDevices.lazy.compactMap { $0.infos["GPUModel"] }.first
        (gpu.name, gpu.nameSource) =
            if let entry { (entry.name, "table") } else if let name = reading?.name {
                (name, reading?.source)
            } else if let name = device.deviceName { (name, "pci.ids") } else if let model { (model, "hwloc") } else {
                (nil, nil)
            }
        gpu.gttBytes = reading?.gttBytes
        if let reading, let bytes = reading.memoryBytes {
            (gpu.memoryBytes, gpu.memorySource) = (bytes, reading.source)
            gpu.memoryFreeBytes = reading.memoryFreeBytes
        } else if let (bytes, source) = hwlocMemory(device) {
            (gpu.memoryBytes, gpu.memorySource) = (bytes, source)
        } else if let node = readings.topology?.gpuMemoryNodes.first(where: { $0.pciAddress == device.address }) {
            (gpu.memoryBytes, gpu.memorySource) = (node.bytes, "numa_node")
        } else if let bytes = entry?.memoryBytes, !gpu.unifiedMemory {
            (gpu.memoryBytes, gpu.memorySource) = (bytes, "table")
        }
        applyTable(entry, reading: reading, to: &gpu)
        return gpu
    }

    /// A GPU known only from a driver or tool reading (a replay of `nvidia-smi.xml`).
    private func gpu(_ reading: GPUDriverReading) -> GPUFacts {
        let vendor = reading.vendorId.map(Hex.word)
        let device = reading.deviceId.map(Hex.word)
        let entry =
            vendor.flatMap { v in
                device.flatMap { table.lookup(vendorId: v, deviceId: $0, subsystem: reading.subsystem) }
            }
            ?? reading.name.flatMap(table.lookup(productName:))
        var gpu = GPUFacts(
            pciAddress: reading.pciAddress,
            vendorId: vendor ?? entry?.vendorId,
            deviceId: device,
            subsystemId: reading.subsystem,
            vendor: reading.vendorId.flatMap { GPUClassifier.gpuVendors[$0] } ?? entry?.vendor,
            name: reading.name ?? entry?.name,
            nameSource: reading.name != nil ? reading.source : "table",
            memoryBytes: reading.memoryBytes,
            memoryFreeBytes: reading.memoryFreeBytes,
            memorySource: reading.memoryBytes != nil ? reading.source : nil,
            gttBytes: reading.gttBytes,
            numaNode: singleHostNode,
            unifiedMemory: entry?.isUnified ?? false,
            driver: reading.driver,
            pcieLink: reading.pcieLink
        )
        applyTable(entry, reading: reading, to: &gpu)
        return gpu
    }

    private func applyTable(_ entry: GPUTable.Entry?, reading: GPUDriverReading?, to gpu: inout GPUFacts) {
        if let measured = reading?.bandwidthBytesPerS {
            (gpu.bandwidthBytesPerS, gpu.bandwidthSource) = (measured, reading?.source)
            gpu.busWidthBits = reading?.busWidthBits
        } else if let bandwidth = entry?.bandwidthBytesPerS {
            (gpu.bandwidthBytesPerS, gpu.bandwidthSource) = (bandwidth, "table")
            gpu.busWidthBits = entry?.busWidthBits
        }
        gpu.fp16FlopsPerS = entry?.fp16FlopsPerS
        gpu.peaks = entry?.peaks
        if let limit = reading?.powerLimitW, gpu.peaks != nil {
            gpu.peaks?.boardPowerW = limit
            gpu.peaks?.boardPowerSource = reading?.source
        }
        gpu.architecture = entry?.architecture ?? reading?.architecture
        if gpu.pcieLink == nil, !gpu.unifiedMemory { gpu.pcieLink = entry?.pcieLink }
    }

    /// The hwloc OS device infos that give GPU memory, KiB, in order of trust: CUDA, ROCm SMI,
    /// Level Zero, then OpenCL.
    private static let memoryInfoKeys: [(key: String, source: String)] = [
        ("CUDAGlobalMemorySize", "hwloc_cuda"), ("RSMIVRAMSize", "hwloc_rsmi"),
        ("LevelZeroHBMSize", "hwloc_levelzero"), ("OpenCLGlobalMemorySize", "hwloc_opencl"),
    ]

    private func hwlocMemory(_ device: PCIDeviceRecord) -> (Int64, String)? {
        for (key, source) in Self.memoryInfoKeys {
            if let value = device.osDevices.lazy.compactMap({ $0.infos[key] }).first,
                let bytes = GPUAssembler.kibibytes(value)
            {
                return (bytes, source)
            }
        }
        return nil
    }

    /// hwloc writes sizes in KiB, as `16671616` or (newer RSMI) `16671616KiB`; `nil` for 0 and
    /// for sizes outside `PhysicalBounds.memoryBytes` (said in `problems`).
    static func kibibytes(_ text: String, from source: String, problems: inout [String]) -> Int64? {
        let digits = text.prefix { $0.isNumber }
        guard !digits.isEmpty else { return nil }
        guard let value = Int64(digits) else {
            problems.append(PhysicalBounds.memoryBytes.problem("\(text) KiB", from: source))
            return nil
        }
        guard value > 0 else { return nil }
        return PhysicalBounds.memoryBytes.admit(
            value,
            times: 1024,
            written: "\(text) KiB",
            from: source,
            problems: &problems
        )
    }

    /// `kibibytes(_:from:problems:)` where the caller has said the problems already (`init`).
    static func kibibytes(_ text: String) -> Int64? {
        var said: [String] = []
        return kibibytes(text, from: "", problems: &said)
    }
}

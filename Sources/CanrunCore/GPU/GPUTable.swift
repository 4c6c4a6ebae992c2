import Foundation

/// canrun's own GPU table (`config/gpus.toml`): PCI id → name, memory, bus width, peak
/// bandwidth and matrix throughput, each entry with its sources.
///
/// Debian's `pci.ids` is from 2023 and lacks current GPUs, and no driver reports bandwidth
/// without vendor libraries, so these nominal facts come from the vendors' data sheets. Values
/// taken from here are labelled `table` in a profile: nominal, not read from the device.
public struct GPUTable: Sendable, Equatable {
    public struct Entry: Sendable, Equatable, Decodable {
        public var vendorId: String
        public var deviceIds: [String]
        /// `svid:sdid` pairs when one device id covers products that differ (memory size).
        public var subsystemIds: [String]?
        /// PCI revision ids (`c8`, lowercase hex) when one device id covers products that AMD's
        /// `amdgpu.ids` tells apart by revision (Navi 31: 7900 XTX, XT, GRE).
        public var revisionIds: [String]?
        public var name: String
        public var vendor: String
        public var architecture: String?
        /// `consumer`, `workstation`, `datacenter`, `integrated`.
        public var segment: String?
        public var memoryGib: Double?
        public var memoryType: String?
        public var busWidthBits: Int?
        /// Decimal GB/s as vendors publish it.
        public var bandwidthGbs: Double?
        public var fp16Tflops: Double?
        public var bf16Tflops: Double?
        public var unifiedMemory: Bool?
        /// The card's host interface as its spec page states it; the slot may be slower.
        public var pcieGeneration: Int?
        public var pcieLanes: Int?
        public var sources: [String]?
        /// Peak rates per execution unit; nil when the table gives none.
        public var peaks: GPUPeaks?

        enum CodingKeys: String, CodingKey {
            case vendorId = "vendor_id"
            case deviceIds = "device_ids"
            case subsystemIds = "subsystem_ids"
            case revisionIds = "revision_ids"
            case name, vendor
            case architecture, segment
            case memoryGib = "memory_gib"
            case memoryType = "memory_type"
            case busWidthBits = "bus_width_bits"
            case bandwidthGbs = "bandwidth_gbs"
            case fp16Tflops = "fp16_tflops"
            case bf16Tflops = "bf16_tflops"
            case fp16Acc16Tflops = "fp16_acc16_tflops"
            case fp16Acc32Tflops = "fp16_acc32_tflops"
            case int8Tops = "int8_tops"
            case fp32Tflops = "fp32_tflops"
            case peaksSource = "peaks_source"
            case boardPowerW = "board_power_w"
            case unifiedMemory = "unified_memory"
            case pcieGeneration = "pcie_generation"
            case pcieLanes = "pcie_lanes"
            case sources
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            // TOML tells integers from floats; `24` and `24.0` must both read as a number.
            func number(_ key: CodingKeys) throws -> Double? {
                if let value = try? c.decodeIfPresent(Double.self, forKey: key) { return value }
                return try c.decodeIfPresent(Int.self, forKey: key).map(Double.init)
            }
            vendorId = try c.decode(String.self, forKey: .vendorId)
            deviceIds = try c.decode([String].self, forKey: .deviceIds)
            subsystemIds = try c.decodeIfPresent([String].self, forKey: .subsystemIds)
            revisionIds = try c.decodeIfPresent([String].self, forKey: .revisionIds)?.map { $0.lowercased() }
            name = try c.decode(String.self, forKey: .name)
            vendor = try c.decode(String.self, forKey: .vendor)
            architecture = try c.decodeIfPresent(String.self, forKey: .architecture)
            segment = try c.decodeIfPresent(String.self, forKey: .segment)
            memoryGib = try number(.memoryGib)
            memoryType = try c.decodeIfPresent(String.self, forKey: .memoryType)
            busWidthBits = try c.decodeIfPresent(Int.self, forKey: .busWidthBits)
            bandwidthGbs = try number(.bandwidthGbs)
            fp16Tflops = try number(.fp16Tflops)
            bf16Tflops = try number(.bf16Tflops)
            let tera = { (key: CodingKeys) throws -> Double? in try number(key).map { $0 * 1e12 } }
            peaks =
                GPUPeaks(
                    fp16Acc16FlopsPerS: try tera(.fp16Acc16Tflops),
                    fp16Acc32FlopsPerS: try tera(.fp16Acc32Tflops),
                    int8OpsPerS: try tera(.int8Tops),
                    fp32FlopsPerS: try tera(.fp32Tflops),
                    boardPowerW: try number(.boardPowerW),
                    boardPowerSource: c.contains(.boardPowerW) ? "table" : nil,
                    source: try c.decodeIfPresent(String.self, forKey: .peaksSource)
                ).nonEmpty
            unifiedMemory = try c.decodeIfPresent(Bool.self, forKey: .unifiedMemory)
            pcieGeneration = try c.decodeIfPresent(Int.self, forKey: .pcieGeneration)
            pcieLanes = try c.decodeIfPresent(Int.self, forKey: .pcieLanes)
            sources = try c.decodeIfPresent([String].self, forKey: .sources)
        }

        /// Memory in bytes (GiB × 2³⁰), as sold.
        public var memoryBytes: Int64? { memoryGib.map { Int64(($0 * 1_073_741_824).rounded()) } }
        public var bandwidthBytesPerS: Int64? { bandwidthGbs.map { Int64(($0 * 1e9).rounded()) } }
        public var fp16FlopsPerS: Int64? { fp16Tflops.map { Int64(($0 * 1e12).rounded()) } }
        public var isUnified: Bool { unifiedMemory ?? (segment == "integrated") }
        /// The spec page's link, labelled `table`; nil when the entry gives none.
        public var pcieLink: PCIeLink? {
            guard let generation = pcieGeneration, let lanes = pcieLanes else { return nil }
            return PCIeLink(generation: generation, width: lanes, source: "table")
        }
    }

    public enum LoadError: Error, Equatable, CustomStringConvertible {
        case invalidTOML(String)
        case invalidEntry(index: Int, reason: String)

        public var description: String {
            switch self {
            case .invalidTOML(let reason): "the GPU table is not valid TOML: \(reason)"
            case .invalidEntry(let index, let reason): "GPU table entry \(index + 1) is invalid: \(reason)"
            }
        }
    }

    public let entries: [Entry]
    private let index: [String: [Int]]

    public init(entries: [Entry]) {
        self.entries = entries
        var index: [String: [Int]] = [:]
        for (position, entry) in entries.enumerated() {
            for device in entry.deviceIds {
                index["\(entry.vendorId.lowercased()):\(device.lowercased())", default: []].append(position)
            }
        }
        self.index = index
    }

    /// Parses the TOML text of `config/gpus.toml` (an array of `[[gpu]]` tables).
    public init(toml: String) throws {
        struct File: Decodable { var gpu: [Entry]? }
        let file: File
        do {
            file = try TOMLDocument.decode(File.self, from: toml)
        } catch {
            throw LoadError.invalidTOML(String(describing: error))
        }
        let entries = file.gpu ?? []
        for (position, entry) in entries.enumerated() {
            guard entry.vendorId.count == 4, UInt16(entry.vendorId, radix: 16) != nil else {
                throw LoadError.invalidEntry(
                    index: position,
                    reason: "vendor_id '\(entry.vendorId)' is not 4 hex digits"
                )
            }
            for device in entry.deviceIds where device.count != 4 || UInt16(device, radix: 16) == nil {
                throw LoadError.invalidEntry(index: position, reason: "device id '\(device)' is not 4 hex digits")
            }
            if let watts = entry.peaks?.boardPowerW, !PhysicalBounds.boardPowerW.contains(watts) {
                throw LoadError.invalidEntry(
                    index: position,
                    reason: "board_power_w \(watts) is outside \(PhysicalBounds.boardPowerW.bound)"
                )
            }
            for revision in entry.revisionIds ?? [] where revision.count != 2 || UInt8(revision, radix: 16) == nil {
                throw LoadError.invalidEntry(index: position, reason: "revision id '\(revision)' is not 2 hex digits")
            }
            if entry.pcieGeneration != nil || entry.pcieLanes != nil, entry.pcieLink == nil {
                throw LoadError.invalidEntry(
                    index: position,
                    reason: "pcie_generation (1-6) and pcie_lanes (1-32) come together"
                )
            }
        }
        self.init(entries: entries)
    }

    /// The entry for a PCI id, preferring one whose subsystem list names `subsystem`
    /// (`svid:sdid`), then one whose revision list names `revision`, then one with neither list.
    /// `nil` when the id is unknown or only specific entries exist and none matches.
    public func lookup(
        vendorId: String,
        deviceId: String,
        subsystem: String? = nil,
        revision: UInt8? = nil
    )
        -> Entry?
    {
        guard let positions = index["\(vendorId.lowercased()):\(deviceId.lowercased())"] else { return nil }
        let candidates = positions.map { entries[$0] }
        if let subsystem = subsystem?.lowercased(),
            let exact = candidates.first(where: { $0.subsystemIds?.contains(subsystem) ?? false })
        {
            return exact
        }
        if let revision = revision.map({ String(format: "%02x", $0) }),
            let exact = candidates.first(where: { $0.revisionIds?.contains(revision) ?? false })
        {
            return exact
        }
        return candidates.first { $0.subsystemIds == nil && $0.revisionIds == nil }
    }

    /// The entry whose name matches a driver-reported product name (`NVIDIA GeForce RTX 3090`),
    /// for tool outputs that redact PCI ids.
    public func lookup(productName: String) -> Entry? {
        let wanted = GPUTable.normalise(productName)
        return entries.first { GPUTable.normalise($0.vendor + " " + $0.name) == wanted }
            ?? entries.first { GPUTable.normalise($0.name) == wanted }
    }

    static func normalise(_ name: String) -> String {
        name.lowercased().filter { $0.isLetter || $0.isNumber }
    }
}

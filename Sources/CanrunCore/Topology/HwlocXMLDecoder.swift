import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Decodes an hwloc topology XML, version 1 (`type="Socket"`, `type="Cache"`, NUMA nodes in the
/// main tree) or version 2 (memory children, `distances2`, CPU kinds), into `TopologyFacts`.
///
/// canrun decodes the XML itself instead of re-importing it with hwloc, because hwloc's import
/// drops what a fit needs to say truthfully (memory-less NUMA nodes of hwloc-1 files, GPU
/// memory nodes) and because the live probe exports the same format: one decoder serves live
/// probes, recordings and the files admins already have.
///
/// Numbers pass `PhysicalBounds`: a NUMA node or GPU memory of Int64.max, a latency of NaN or
/// 1e300, a cpuset beyond 65536 CPUs become unknown (or are left out), each said in the facts'
/// `problems`.
///
/// GPU memory onlined as NUMA nodes (POWER9 with NVLink V100s, Grace Hopper) is kept out of the
/// host nodes: hwloc 2 marks such nodes `subtype="GPUMemory"` (with `HWLOC_KEEP_NVIDIA_GPU_NUMA_NODES`);
/// hwloc 1 shows them as plain CPU-less nodes (LLNL Lassen: nodes 252–255, 16 GiB each), which
/// `GPUMemoryNodeRule` recognises.
public enum HwlocXMLDecoder {
    public enum DecodingError: Error, Equatable, CustomStringConvertible {
        case malformed(line: Int, reason: String)
        case notATopology

        public var description: String {
            switch self {
            case .malformed(let line, let reason): "hwloc XML is malformed at line \(line): \(reason)"
            case .notATopology: "the XML has no <topology> root: not an hwloc topology export"
            }
        }
    }

    public static func decode(_ data: Data) throws -> TopologyFacts {
        let collector = Collector()
        if let failure = XMLSAX.parse(data, delegate: collector) {
            throw DecodingError.malformed(line: failure.line, reason: failure.reason)
        }
        guard collector.sawTopology else { throw DecodingError.notATopology }
        guard collector.closedTopology else {
            throw DecodingError.malformed(
                line: collector.lastLine,
                reason: "the document ends inside <topology> (truncated)"
            )
        }
        return collector.facts()
    }

    /// One `<object>` while it is open.
    fileprivate final class Frame {
        let type: String
        let attributes: [String: String]
        var infos: [String: String] = [:]
        var osDevices: [OSDeviceRecord] = []

        init(type: String, attributes: [String: String]) {
            self.type = type
            self.attributes = attributes
        }

        var osIndex: Int? { attributes["os_index"].flatMap { Int($0) } }
    }

    private struct RawNUMANode {
        var osIndex: Int
        var memory: Int64?
        /// The file gave a memory size outside the bound: unknown, not "no memory".
        var memoryRejected: Bool
        var cpus: [Int]
        var subtype: String?
        var sideCache: Int64?
        var infos: [String: String]
    }

    private struct RawCache: Hashable {
        var level: Int
        var kind: String
        var size: Int64
    }

    private struct RawKind {
        var cpus: [Int]
        var efficiency: Int?
        var infos: [String: String]
    }

    private struct RawDistances {
        var name: String?
        var indexes: [Int]?
        var values: [Int]
        var count: Int
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var sawTopology = false
        var closedTopology = false
        var lastLine = 0
        private(set) var problems: [String] = []
        private var cpusetBeyondBound = false
        private var stack: [Frame] = []
        private var packages: [(osIndex: Int?, cpus: Set<Int>, infos: [String: String])] = []
        private var cores = 0
        private var coreCPUs: [[Int]] = []
        private var pus = 0
        private var numa: [RawNUMANode] = []
        private var caches: [RawCache: Int] = [:]
        private var pci: [PCIDeviceRecord] = []
        private var machineInfos: [String: String] = [:]
        private var kinds: [RawKind] = []
        private var openKind: RawKind?
        private var distances: [RawDistances] = []
        private var openDistances: RawDistances?
        private var v1Latencies: [Double] = []
        private var v1Base: Double = 1
        private var text = ""

        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            text = ""
            lastLine = parser.lineNumber
            switch name {
            case "topology": sawTopology = true
            case "object": stack.append(Frame(type: attributes["type"] ?? "", attributes: attributes))
            case "info":
                guard let key = attributes["name"], let value = attributes["value"] else { return }
                if openKind != nil {
                    openKind?.infos[key] = value
                } else if let top = stack.last, top.infos[key] == nil {
                    top.infos[key] = value
                }
            case "cpukind":
                openKind = RawKind(
                    cpus: cpus(attributes["cpuset"]),
                    efficiency: PhysicalBounds.cpuKindEfficiency.admit(
                        (attributes["forced_efficiency"] ?? attributes["efficiency"]).flatMap { Int($0) },
                        from: "hwloc XML CPU kind",
                        problems: &problems
                    ),
                    infos: [:]
                )
            case "distances2":
                openDistances = RawDistances(
                    name: attributes["name"],
                    indexes: nil,
                    values: [],
                    count: attributes["nbobjs"].flatMap { Int($0) } ?? 0
                )
                if attributes["type"] != "NUMANode" { openDistances?.count = -1 }
                if let count = openDistances?.count, count > PhysicalBounds.maxNUMANodes {
                    problems.append(
                        "hwloc XML: a NUMA distance matrix over \(count) nodes is beyond the physical bound of \(PhysicalBounds.maxNUMANodes) nodes; distances unknown"
                    )
                    openDistances?.count = -1
                }
            case "distances":
                v1Latencies = []
                v1Base = attributes["latency_base"].flatMap { Double($0) } ?? 1
            case "latency":
                if let value = attributes["value"].flatMap({ Double($0) }) { v1Latencies.append(value) }
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(
            _ parser: XMLParser,
            didEndElement name: String,
            namespaceURI: String?,
            qualifiedName: String?
        ) {
            switch name {
            case "topology": closedTopology = stack.isEmpty
            case "object": if let frame = stack.popLast() { close(frame) }
            case "cpukind":
                if let kind = openKind { kinds.append(kind) }
                openKind = nil
            case "indexes": openDistances?.indexes = numbers(text)
            case "u64values": openDistances?.values += numbers(text)
            case "distances2":
                if let d = openDistances, d.count > 0 { distances.append(d) }
                openDistances = nil
            case "distances":
                let n = Int(Double(v1Latencies.count).squareRoot())
                if n > 0, n * n == v1Latencies.count, let values = v1Distances() {
                    distances.append(RawDistances(name: "v1", indexes: nil, values: values, count: n))
                }
            default: break
            }
            text = ""
        }

        private func numbers(_ text: String) -> [Int] {
            text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).compactMap { Int($0) }
        }

        /// hwloc-1 latencies are relative to `latency_base` (10 for SLIT-style matrices); each
        /// product must be a physical distance before it becomes an integer.
        private func v1Distances() -> [Int]? {
            var values: [Int] = []
            for latency in v1Latencies {
                let distance = (latency * v1Base).rounded()
                let bound = PhysicalBounds.numaDistance
                guard distance >= Double(bound.range.lowerBound), distance <= Double(bound.range.upperBound) else {
                    problems.append(
                        bound.problem("\(latency) × latency_base \(v1Base)", from: "hwloc XML v1 NUMA distances")
                            + " (the whole matrix)"
                    )
                    return nil
                }
                values.append(Int(distance))
            }
            return values
        }

        /// The OS indexes of a cpuset below `PhysicalBounds.cpuIndex`; higher ones are left out
        /// and said once.
        private func cpus(_ text: String?) -> [Int] {
            guard let text else { return [] }
            let (indexes, beyond) = HwlocBitmap.indexes(text, below: PhysicalBounds.cpuIndex.range.upperBound + 1)
            if beyond { cpusetBeyondBound = true }
            return indexes
        }

        /// A byte count the file wrote (`local_memory`, `cache_size`), within `bound`.
        private func bytes(_ text: String?, _ bound: PhysicalBound<Int64>, _ source: String) -> (Int64?, Bool) {
            guard let text else { return (nil, false) }
            guard let value = Int64(text) else {
                problems.append(bound.problem(text, from: source))
                return (nil, true)
            }
            let admitted = bound.admit(value, from: source, problems: &problems)
            return (admitted, admitted == nil)
        }

        private func close(_ frame: Frame) {
            switch frame.type {
            case "Machine", "System": machineInfos.merge(frame.infos) { old, _ in old }
            case "Package", "Socket":
                packages.append((frame.osIndex, Set(cpus(frame.attributes["cpuset"])), frame.infos))
            case "Core":
                cores += 1
                coreCPUs.append(cpus(frame.attributes["cpuset"]))
            case "PU": pus += 1
            case "NUMANode":
                let osIndex = frame.osIndex ?? numa.count
                let source = "hwloc XML NUMA node \(osIndex)"
                guard PhysicalBounds.numaNodeIndex.contains(osIndex) else {
                    problems.append(
                        PhysicalBounds.numaNodeIndex.problem("\(osIndex)", from: source) + " (node left out)"
                    )
                    return
                }
                let sideCache = stack.last(where: { $0.type == "MemCache" })?.attributes["cache_size"]
                let (memory, rejected) = bytes(frame.attributes["local_memory"], PhysicalBounds.memoryBytes, source)
                numa.append(
                    RawNUMANode(
                        osIndex: osIndex,
                        memory: memory,
                        memoryRejected: rejected,
                        cpus: cpus(frame.attributes["cpuset"]),
                        subtype: frame.attributes["subtype"],
                        sideCache: bytes(sideCache, PhysicalBounds.memoryBytes, source + " memory-side cache").0,
                        infos: frame.infos
                    )
                )
            case "Cache", "L1Cache", "L2Cache", "L3Cache", "L4Cache", "L5Cache", "L1iCache", "L2iCache", "L3iCache":
                addCache(frame)
            case "PCIDev": if let record = pciRecord(frame) { pci.append(record) }
            case "OSDev":
                let device = OSDeviceRecord(
                    name: frame.attributes["name"] ?? "",
                    subtype: frame.attributes["subtype"],
                    infos: frame.infos
                )
                stack.last(where: { $0.type == "PCIDev" })?.osDevices.append(device)
            default: break
            }
        }

        private func addCache(_ frame: Frame) {
            guard frame.attributes["cache_size"] != "0",
                let size = bytes(frame.attributes["cache_size"], PhysicalBounds.cacheBytes, "hwloc XML \(frame.type)").0
            else { return }
            let level: Int
            if frame.type == "Cache" {
                guard let depth = frame.attributes["depth"].flatMap({ Int($0) }) else { return }
                level = depth
            } else {
                guard let digit = frame.type.dropFirst().first?.wholeNumberValue else { return }
                level = digit
            }
            let kind: String =
                switch frame.attributes["cache_type"] {
                case "1": "data"
                case "2": "instruction"
                default: frame.type.contains("i") && frame.type != "Cache" ? "instruction" : "unified"
                }
            caches[RawCache(level: level, kind: kind, size: size), default: 0] += 1
        }

        /// `pci_type="0302 [10de:1db8] [10de:1212] a1"`: class, vendor:device, subsystem, revision.
        private func pciRecord(_ frame: Frame) -> PCIDeviceRecord? {
            guard let busID = frame.attributes["pci_busid"].flatMap(Hex.pciAddress),
                let type = frame.attributes["pci_type"]
            else { return nil }
            let fields = type.split(separator: " ")
            guard fields.count >= 2, let classCode = UInt16(fields[0], radix: 16) else { return nil }
            func pair(_ field: Substring) -> (UInt16, UInt16)? {
                let ids = field.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ":")
                guard ids.count == 2, let a = UInt16(ids[0], radix: 16), let b = UInt16(ids[1], radix: 16) else {
                    return nil
                }
                return (a, b)
            }
            guard let ids = pair(fields[1]) else { return nil }
            let subsystem = fields.count > 2 ? pair(fields[2]) : nil
            return PCIDeviceRecord(
                address: busID,
                vendorId: ids.0,
                deviceId: ids.1,
                classCode: classCode,
                subsystemVendorId: subsystem?.0,
                subsystemDeviceId: subsystem?.1,
                revision: fields.count > 3 ? UInt8(fields[3], radix: 16) : nil,
                numaNode: localNode(),
                vendorName: frame.infos["PCIVendor"],
                deviceName: frame.infos["PCIDevice"],
                driver: nil,
                link: frame.attributes["pci_link_speed"].flatMap(Double.init).flatMap {
                    PCIeLink(gigabytesPerS: $0, source: "hwloc")
                },
                osDevices: frame.osDevices
            )
        }

        /// The NUMA node of the nearest CPU-side ancestor of an I/O object, when it is one node.
        private func localNode() -> Int? {
            let ioTypes: Set<String> = ["Bridge", "PCIDev", "OSDev"]
            guard let anchor = stack.last(where: { !ioTypes.contains($0.type) }) else { return nil }
            if anchor.type == "NUMANode" { return anchor.osIndex }
            guard let nodeset = anchor.attributes["nodeset"] else { return nil }
            let nodes = HwlocBitmap.indexes(nodeset, below: PhysicalBounds.numaNodeIndex.range.upperBound + 1).indexes
            return nodes.count == 1 ? nodes[0] : nil
        }

        func facts() -> TopologyFacts {
            if cpusetBeyondBound {
                problems.append(
                    "hwloc XML: cpusets name logical CPUs beyond the physical bound \(PhysicalBounds.cpuIndex.bound); those CPUs are left out"
                )
            }
            var numa = self.numa
            if numa.count > PhysicalBounds.maxNUMANodes {
                problems.append(
                    "hwloc XML: \(numa.count) NUMA nodes, beyond the physical bound of \(PhysicalBounds.maxNUMANodes); NUMA nodes unknown"
                )
                numa = []
            }
            let gpuIndexes = GPUMemoryNodeRule.gpuMemoryNodes(
                numa.map {
                    .init(osIndex: $0.osIndex, subtype: $0.subtype, hasCPUs: !$0.cpus.isEmpty, memory: $0.memory)
                },
                architecture: machineInfos["Architecture"],
                cpuModel: packages.first?.infos["CPUModel"],
                pciDevices: pci
            )
            let gpuNodes = numa.filter { gpuIndexes.contains($0.osIndex) }.sorted { $0.osIndex < $1.osIndex }
            let host = numa.filter { !gpuIndexes.contains($0.osIndex) }.sorted { $0.osIndex < $1.osIndex }
            let anyMemory = host.contains { $0.memory != nil }
            let matrix = distanceMatrix(hostOrder: host.map(\.osIndex), allOrder: numa.map(\.osIndex).sorted())
            let nodes = host.enumerated().map { position, node -> NUMANodeFacts in
                let cpus = node.cpus.sorted()
                let package = packages.first { !cpus.isEmpty && Set(cpus).isSubset(of: $0.cpus) }?.osIndex
                let kind = node.subtype?.lowercased() ?? node.infos["DAXType"].map { $0.lowercased() }
                return NUMANodeFacts(
                    id: node.osIndex,
                    memoryBytes: anyMemory && !node.memoryRejected ? (node.memory ?? 0) : nil,
                    cpus: cpus,
                    distances: matrix?[position],
                    memoryKind: kind,
                    memorySideCacheBytes: node.sideCache,
                    package: package.flatMap { PhysicalBounds.numaNodeIndex.contains($0) ? $0 : nil }
                )
            }
            let firstPackage = packages.first?.infos
            func count(_ n: Int, _ bound: PhysicalBound<Int>) -> Int? {
                n == 0 ? nil : bound.admit(n, from: "hwloc XML", problems: &problems)
            }
            return TopologyFacts(
                architecture: machineInfos["Architecture"],
                cpuVendor: firstPackage?["CPUVendor"] ?? machineInfos["CPUVendor"],
                cpuModel: firstPackage?["CPUModel"] ?? machineInfos["CPUModel"],
                packages: count(packages.count, PhysicalBounds.packages),
                cores: count(cores, PhysicalBounds.cores),
                threads: count(pus, PhysicalBounds.threads),
                numaNodes: nodes,
                gpuMemoryNodes: gpuNodes.compactMap { node in
                    guard let bytes = node.memory else { return nil }
                    return TopologyFacts.GPUMemoryNode(
                        osIndex: node.osIndex,
                        pciAddress: node.infos["PCIBusID"].flatMap(Hex.pciAddress),
                        bytes: bytes
                    )
                },
                caches: caches.map {
                    CacheFacts(level: $0.key.level, kind: $0.key.kind, sizeBytes: $0.key.size, count: $0.value)
                }
                .sorted { ($0.level, $0.kind, $0.sizeBytes) < ($1.level, $1.kind, $1.sizeBytes) },
                coreCPUs: coreCPUs,
                kinds: cpuKinds(),
                pciDevices: pci.sorted { $0.address < $1.address },
                machineInfos: machineInfos,
                problems: problems
            )
        }

        /// Rows of the NUMA latency matrix for the host nodes (`hostOrder`), from the first
        /// matrix that covers them: hwloc 2's `NUMALatency` names its nodes; an hwloc-1 matrix
        /// follows document order, which is OS order, over the host nodes or over all of them
        /// (GPU memory nodes included). A matrix with a distance outside the bound is unknown.
        private func distanceMatrix(hostOrder: [Int], allOrder: [Int]) -> [[Int]]? {
            guard !hostOrder.isEmpty else { return nil }
            let candidates = distances.filter { $0.name == "NUMALatency" } + distances.filter { $0.name == "v1" }
            for d in candidates {
                let order = d.indexes ?? (d.count == hostOrder.count ? hostOrder : allOrder)
                let n = order.count
                guard d.count == n, d.values.count == n * n, Set(order).count == n,
                    Set(hostOrder).isSubset(of: Set(order))
                else { continue }
                if let wrong = d.values.first(where: { !PhysicalBounds.numaDistance.contains($0) }) {
                    problems.append(
                        PhysicalBounds.numaDistance.problem("\(wrong)", from: "hwloc XML NUMA distances")
                            + " (the whole matrix)"
                    )
                    return nil
                }
                let position = Dictionary(order.enumerated().map { ($1, $0) }) { first, _ in first }
                return hostOrder.map { row in
                    let i = position[row] ?? 0
                    return hostOrder.map { column in d.values[i * n + (position[column] ?? 0)] }
                }
            }
            return nil
        }

        /// hwloc ≥ 2.10 reports one kind per ARM part; older releases split by capacity and
        /// frequency. Kinds with the same part (or Intel core type) are merged.
        private func cpuKinds() -> [CPUKindFacts] {
            guard kinds.count > 1 else { return [] }
            var merged: [(name: String, cpus: [Int], efficiency: Int?, mhz: Int?)] = []
            for (index, kind) in kinds.enumerated() {
                let name = kind.infos["CPUPart"] ?? kind.infos["CoreType"] ?? "kind\(index)"
                let mhz = PhysicalBounds.clockMhz.admit(
                    kind.infos["FrequencyMaxMHz"].flatMap { Int($0) },
                    from: "hwloc XML CPU kind \(name)",
                    problems: &problems
                )
                if let at = merged.firstIndex(where: { $0.name == name }) {
                    merged[at].cpus += kind.cpus
                    merged[at].efficiency = [merged[at].efficiency, kind.efficiency].compactMap { $0 }.max()
                    merged[at].mhz = [merged[at].mhz, mhz].compactMap { $0 }.max()
                } else {
                    merged.append((name, kind.cpus, kind.efficiency, mhz))
                }
            }
            guard merged.count > 1 else { return [] }
            // Without a core type, two kinds told apart by clock are performance and efficiency cores.
            if merged.count == 2, merged.allSatisfy({ $0.name.hasPrefix("kind") }),
                let fast = merged.indices.max(by: { (merged[$0].mhz ?? 0) < (merged[$1].mhz ?? 0) }),
                merged[0].mhz != nil, merged[0].mhz != merged[1].mhz
            {
                for i in merged.indices { merged[i].name = i == fast ? "performance" : "efficiency" }
            }
            return merged.map {
                CPUKindFacts(name: $0.name, cpus: $0.cpus.sorted(), efficiency: $0.efficiency, frequencyMaxMhz: $0.mhz)
            }
        }
    }
}

import Foundation

#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads `nvidia-smi -q -x` output (schema v10–v13).
///
/// Memory is the GPU's own `fb_memory_usage/total` (MiB, including the driver's reserve), never
/// a MIG instance's. PCI ids that the tool prints as `[REDACTED]` stay unknown.
public enum NvidiaSmiXMLReader {
    public struct Result: Sendable, Equatable {
        public var gpus: [GPUDriverReading]
        public var problems: [String]
    }

    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case malformed(line: Int, reason: String)
        case notNvidiaSmi

        public var description: String {
            switch self {
            case .malformed(let line, let reason): "nvidia-smi XML is malformed at line \(line): \(reason)"
            case .notNvidiaSmi:
                "not a complete nvidia-smi -q -x log (<nvidia_smi_log> … </nvidia_smi_log>): rerun nvidia-smi -q -x"
            }
        }
    }

    public static func read(_ data: Data) throws -> Result {
        let collector = Collector()
        if let failure = XMLSAX.parse(data, delegate: collector) {
            throw ReadError.malformed(line: failure.line, reason: failure.reason)
        }
        guard collector.sawLog, collector.closedLog else { throw ReadError.notNvidiaSmi }
        var problems = collector.problems
        if let attached = collector.attached, attached != collector.gpus.count {
            problems.append(
                "nvidia-smi says \(attached) GPUs are attached but describes \(collector.gpus.count): only those described are listed"
            )
        }
        return Result(gpus: collector.gpus, problems: problems)
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var sawLog = false
        var closedLog = false
        var attached: Int?
        var gpus: [GPUDriverReading] = []
        var problems: [String] = []
        private var path: [String] = []
        private var current: GPUDriverReading?
        private var maxLinkGeneration: Int?
        private var text = ""

        func parser(
            _ parser: XMLParser,
            didStartElement name: String,
            namespaceURI: String?,
            qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            path.append(name)
            text = ""
            if name == "nvidia_smi_log" { sawLog = true }
            if name == "gpu", path.count == 2 {
                maxLinkGeneration = nil
                current = GPUDriverReading(
                    pciAddress: attributes["id"].flatMap(Hex.pciAddress),
                    source: "nvidia-smi",
                    driver: "nvidia"
                )
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(
            _ parser: XMLParser,
            didEndElement name: String,
            namespaceURI: String?,
            qualifiedName: String?
        ) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            let relative = path.count > 2 && path[1] == "gpu" ? path[2...].joined(separator: "/") : ""
            switch relative {
            case "product_name": current?.name = value
            case "product_architecture": current?.architecture = value
            case "pci/pci_bus_id": if current?.pciAddress == nil { current?.pciAddress = Hex.pciAddress(value) }
            case "pci/pci_device_id":
                // `20B210DE`: device id in the high half, vendor id in the low half.
                if value.count == 8, let combined = UInt32(value, radix: 16) {
                    current?.deviceId = UInt16(combined >> 16)
                    current?.vendorId = UInt16(combined & 0xFFFF)
                }
            case "pci/pci_sub_system_id":
                if value.count == 8, let combined = UInt32(value, radix: 16) {
                    current?.subsystem = "\(Hex.word(UInt16(combined & 0xFFFF))):\(Hex.word(UInt16(combined >> 16)))"
                }
            case "pci/pci_gpu_link_info/pcie_gen/max_link_gen": maxLinkGeneration = Int(value)
            case "pci/pci_gpu_link_info/link_widths/max_link_width":
                // `16x`; the generation comes first in the document.
                if let generation = maxLinkGeneration, let width = Int(value.dropLast(value.hasSuffix("x") ? 1 : 0)) {
                    current?.pcieLink = PCIeLink(generation: generation, width: width, source: "nvidia-smi")
                }
            case "power_readings/enforced_power_limit", "gpu_power_readings/current_power_limit":
                // `200.00 W`: the limit in force (schema v11 and earlier `power_readings/
                // enforced_power_limit`, v12 on `gpu_power_readings/current_power_limit`); `N/A`
                // where the board reports none.
                // Read first: `watts` reads `current`; an `N/A` keeps what an earlier element gave.
                if let watts = watts(value) { current?.powerLimitW = watts }
            case "fb_memory_usage/total":
                // Read first: `mebibytes` reads `current`, which the assignment holds for writing.
                let bytes = mebibytes(value, "memory")
                current?.memoryBytes = bytes
            case "fb_memory_usage/free":
                let bytes = mebibytes(value, "free memory")
                current?.memoryFreeBytes = bytes
            default: break
            }
            if path == ["nvidia_smi_log", "attached_gpus"] { attached = Int(value) }
            if path == ["nvidia_smi_log"] { closedLog = true }
            if name == "gpu", path.count == 2, let gpu = current {
                gpus.append(gpu)
                current = nil
            }
            path.removeLast()
            text = ""
        }

        /// `450.00 W`; nil for `N/A`, and for a power no board has (said in `problems`).
        private func watts(_ value: String) -> Double? {
            guard value.hasSuffix(" W"), let watts = Double(value.dropLast(2)) else { return nil }
            guard PhysicalBounds.boardPowerW.contains(watts) else {
                problems.append(
                    PhysicalBounds.boardPowerW.problem(
                        value,
                        from: "nvidia-smi GPU \(current?.pciAddress ?? "?") power limit"
                    )
                )
                return nil
            }
            return watts
        }

        /// `81920 MiB`; a count no GPU has is unknown, with a problem.
        private func mebibytes(_ value: String, _ what: String) -> Int64? {
            guard value.hasSuffix(" MiB") else { return nil }
            let source = "nvidia-smi GPU \(current?.pciAddress ?? "?") \(what)"
            guard let n = Int64(value.dropLast(4)) else {
                problems.append(PhysicalBounds.memoryBytes.problem(value, from: source))
                return nil
            }
            return PhysicalBounds.memoryBytes.admit(
                n,
                times: 1_048_576,
                written: value,
                from: source,
                problems: &problems
            )
        }
    }
}

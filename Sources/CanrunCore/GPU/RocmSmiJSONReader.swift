import Foundation

/// Reads `rocm-smi --json` output (`rocm-smi --showallinfo --json` and its subsets), whose
/// keys changed across ROCm releases (`GPU ID` → `Device ID`; `Card series` → `Device Name`).
///
/// VRAM is `VRAM Total Memory (B)`, never the visible VRAM, which is only the BAR window
/// (256 MiB without resizable BAR).
public enum RocmSmiJSONReader {
    public enum ReadError: Error, Equatable, CustomStringConvertible {
        case notRocmSmi(String)

        public var description: String {
            switch self {
            case .notRocmSmi(let reason): "not rocm-smi --json output: \(reason)"
            }
        }
    }

    public static func read(_ data: Data) throws -> [GPUDriverReading] {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw ReadError.notRocmSmi("invalid JSON (\(error.localizedDescription))")
        }
        guard let cards = object as? [String: Any] else { throw ReadError.notRocmSmi("top level is not an object") }
        let names = cards.keys.filter { $0.hasPrefix("card") && Int($0.dropFirst(4)) != nil }
            .sorted { Int($0.dropFirst(4)) ?? 0 < Int($1.dropFirst(4)) ?? 0 }
        guard !names.isEmpty else { throw ReadError.notRocmSmi("no \"cardN\" entries") }
        return names.compactMap { name in
            guard let card = cards[name] as? [String: Any] else { return nil }
            func string(_ keys: String...) -> String? {
                keys.lazy.compactMap { card[$0] as? String }.first { $0 != "N/A" && !$0.isEmpty }
            }
            func hex(_ keys: String...) -> UInt16? {
                guard let text = keys.lazy.compactMap({ card[$0] as? String }).first else { return nil }
                return UInt16(text.hasPrefix("0x") ? String(text.dropFirst(2)) : text, radix: 16)
            }
            let total = string("VRAM Total Memory (B)").flatMap { Int64($0) }
            let used = string("VRAM Total Used Memory (B)").flatMap { Int64($0) }
            return GPUDriverReading(
                pciAddress: string("PCI Bus").flatMap(Hex.pciAddress),
                vendorId: 0x1002,
                deviceId: hex("Device ID", "GPU ID"),
                name: string("Device Name", "Card series", "Card Series"),
                memoryBytes: total,
                // Free only when used is a part of total: no subtraction can overflow.
                memoryFreeBytes: total.flatMap { t in used.flatMap { $0 >= 0 && $0 <= t ? t - $0 : nil } },
                gttBytes: string("GTT Total Memory (B)").flatMap { Int64($0) },
                source: "rocm-smi",
                driver: "amdgpu"
            )
        }
    }
}

import CanrunCore
import Foundation

/// Writes a GGUF whose tensors hold `SyntheticTensorData`: the header, then each tensor's random
/// blocks at its aligned offset. The file is streamed a megabyte at a time and replaced whole or
/// not at all (`DirectoryHandle.replaceAtomically`), so an interrupted write leaves no half file.
public enum SyntheticGGUFFile {
    /// Why the file was not written.
    public enum WriteError: Error, CustomStringConvertible {
        case header(GGUFHeader.WriteError)
        case unwritableType(tensor: String, type: String)
        case file(FileError)

        public var description: String {
            switch self {
            case .header(let e): "cannot write the GGUF: \(e)"
            case .unwritableType(let t, let type):
                "cannot write tensor \(t): canrun writes random \(SyntheticTensorData.writableTypes.joined(separator: ", ")) weights, not \(type)"
            case .file(let e): "\(e)"
            }
        }
    }

    /// Writes `header` and random weights from `seed` to `path` (mode 0644). Returns the file's
    /// size in bytes.
    @discardableResult
    public static func write(
        _ header: GGUFHeader,
        to path: String,
        seed: UInt64 = 0x6361_6E72_756E
    ) throws(WriteError)
        -> Int64
    {
        let layout: (head: [UInt8], offsets: [UInt64], dataBytes: UInt64)
        do {
            layout = try header.laidOut()
        } catch {
            throw .header(error)
        }
        let head = layout.head
        var sources: [SyntheticTensorData] = []
        for (index, tensor) in header.tensors.enumerated() {
            guard let data = SyntheticTensorData(type: tensor.type, seed: seed &+ UInt64(index) &* 0x1_0000_0001) else {
                throw .unwritableType(tensor: tensor.name, type: tensor.type.name)
            }
            sources.append(data)
        }
        let url = URL(fileURLWithPath: path)
        do {
            let folder = try DirectoryHandle.open(url.deletingLastPathComponent().path)
            try folder.replaceAtomically(url.lastPathComponent, mode: 0o644) { (write) throws(FileError) in
                try write(head)
                var position: UInt64 = 0
                for (index, tensor) in header.tensors.enumerated() {
                    if layout.offsets[index] > position {
                        try write([UInt8](repeating: 0, count: Int(layout.offsets[index] - position)))
                    }
                    let blockBytes = tensor.type.bytesPerBlock
                    var blocksLeft = Int((tensor.bytes ?? 0) / Int64(blockBytes))
                    let perChunk = max(1, (1 << 20) / blockBytes)
                    while blocksLeft > 0 {
                        let n = min(perChunk, blocksLeft)
                        try write(sources[index].next(blocks: n))
                        blocksLeft -= n
                    }
                    position = layout.offsets[index] + UInt64(tensor.bytes ?? 0)
                }
                if layout.dataBytes > position {
                    try write([UInt8](repeating: 0, count: Int(layout.dataBytes - position)))
                }
            }
        } catch {
            throw .file(error)
        }
        return Int64(head.count) + Int64(layout.dataBytes)
    }
}

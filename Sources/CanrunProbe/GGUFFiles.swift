import CanrunCore
import Foundation

/// Reads GGUF headers from disk without touching the weights: a buffered sequential reader
/// over the file, and the discovery of split parts (`name-00001-of-00003.gguf`).
public enum GGUFFiles {
    /// The header of one file: a regular file (a FIFO or a device is refused before it is
    /// read), opened through `SafeFile`; a symbolic link is followed, as the user named the
    /// file (the Hugging Face cache links every file into its blob store).
    public static func header(_ path: String, table: QuantTable) throws -> GGUFFile {
        let file = try SafeFile.open(.system(path, followingLastLink: true), limit: nil)
        var reader = GGUFReader(source: FileSource(file: file), table: table)
        return try reader.read()
    }

    /// The model in `path`: all of its split parts when the name says it is split.
    public static func model(_ path: String, table: QuantTable) throws -> GGUFModel {
        let parts = splitParts(of: path)
        let headers = try parts.map { try header($0, table: table) }
        return try GGUFModel(parts: headers, id: modelID(path))
    }

    /// `x-00001-of-00003.gguf` → its three parts in order; any other name → itself.
    public static func splitParts(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let name = url.deletingPathExtension().lastPathComponent
        let pieces = name.split(separator: "-")
        guard pieces.count >= 4, pieces[pieces.count - 2] == "of", let total = Int(pieces[pieces.count - 1]),
            Int(pieces[pieces.count - 3]) != nil, total > 0, total <= 999
        else { return [path] }
        let stem = pieces.dropLast(3).joined(separator: "-")
        let width = pieces[pieces.count - 1].count
        func pad(_ n: Int) -> String { String(repeating: "0", count: max(0, width - String(n).count)) + String(n) }
        return (1...total).map {
            url.deletingLastPathComponent().appendingPathComponent("\(stem)-\(pad($0))-of-\(pad(total)).gguf").path
        }
    }

    /// A catalog-style id from the file name: `Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf` →
    /// `meta-llama-3.1-8b-instruct-q4_k_m`.
    static func modelID(_ path: String) -> String {
        let parts = splitParts(of: path)
        let name = URL(fileURLWithPath: parts[0]).deletingPathExtension().lastPathComponent
        let stem = parts.count > 1 ? name.split(separator: "-").dropLast(3).joined(separator: "-") : name
        return stem.lowercased()
    }

    /// Reads in 64 KiB chunks; a header is read front to back once. The GGUF reader bounds
    /// every field it asks for by `size`, so no read here passes the end of the file.
    struct FileSource: GGUFByteSource {
        let file: SafeFile.Opened
        var size: UInt64 { UInt64(max(0, file.size)) }
        private(set) var position: UInt64 = 0
        private var buffer: [UInt8] = []
        private var bufferStart: UInt64 = 0

        init(file: SafeFile.Opened) {
            self.file = file
        }

        mutating func read(_ count: Int) throws -> [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(count)
            while out.count < count {
                let offsetInBuffer = Int(position - bufferStart)
                if offsetInBuffer >= buffer.count {
                    bufferStart = position
                    buffer = try file.read(upTo: max(65536, count - out.count))
                    if buffer.isEmpty {
                        throw GGUFError.truncated(at: position, needed: "\(count - out.count) more bytes")
                    }
                    continue
                }
                let take = min(count - out.count, buffer.count - offsetInBuffer)
                out += buffer[offsetInBuffer..<(offsetInBuffer + take)]
                position += UInt64(take)
            }
            return out
        }
    }
}

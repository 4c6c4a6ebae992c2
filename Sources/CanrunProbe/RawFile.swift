import Foundation

/// Whole-file reads that keep `errno`, so "permission denied" and "absent" stay apart.
enum RawFile {
    struct Failure: Error, Equatable {
        var code: Int32
    }

    /// Reads at most `limit` bytes (SMBIOS tables are a few KiB; nothing canrun reads is large).
    static func read(_ path: String, limit: Int = 16 << 20) -> Swift.Result<[UInt8], Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(Failure(code: errno)) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while bytes.count < limit {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(Failure(code: errno))
            }
            if n == 0 { break }
            bytes += chunk[0..<n]
        }
        return .success(bytes)
    }
}

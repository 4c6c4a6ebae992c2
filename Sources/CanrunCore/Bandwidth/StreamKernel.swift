/// The three streaming kernels and their STREAM byte accounting.
///
/// Per element of 8-byte doubles, STREAM counts what the loop names: `read` (s += a[i]) 8 bytes,
/// `copy` (c[i] = a[i]) 16, `triad` (a[i] = b[i] + q·c[i]) 24. canrun's copy and triad write with
/// non-temporal stores, so no write-allocate read happens and counted bytes equal moved bytes.
/// LLM decode streams weights and is read-dominated: the `read` rate feeds the speed model.
public enum StreamKernel: String, CaseIterable, Codable, Sendable {
    case read
    case copy
    case triad

    /// Arrays the kernel streams per element.
    public var arrays: Int {
        switch self {
        case .read: 1
        case .copy: 2
        case .triad: 3
        }
    }

    /// Bytes counted per pass over arrays of `bytesPerArray` each.
    public func countedBytes(bytesPerArray: Int64) -> Int64 { Int64(arrays) * bytesPerArray }
}

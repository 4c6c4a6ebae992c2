import CanrunCore
import CanrunShims
import Foundation

/// A running set of pinned worker threads with their NUMA-placed buffers (C: canrun_team.c).
/// Destroying it joins the threads and frees the memory, also when a run is cancelled.
final class BenchmarkTeam {
    private let team: OpaquePointer
    let threads: Int
    let bytesPerArray: Int64

    /// - Parameter arrays: the most any kernel of the run streams (read 1, copy 2, triad 3).
    init(topology: LiveTopology, pus: [Int], memoryNode: Int?, arrays: Int, bytesPerArray: Int64) throws {
        var error = [CChar](repeating: 0, count: 256)
        let cpus = pus.map { Int32($0) }
        let created = cpus.withUnsafeBufferPointer { buffer in
            canrun_team_create(
                UnsafeMutableRawPointer(topology.handle),
                Int32(pus.count),
                buffer.baseAddress,
                Int32(memoryNode ?? -1),
                Int32(arrays),
                Int(bytesPerArray),
                &error,
                error.count
            )
        }
        guard let created else {
            throw BenchmarkError.team(error.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        team = created
        threads = pus.count
        self.bytesPerArray = bytesPerArray - bytesPerArray % 512
    }

    deinit { canrun_team_destroy(team) }

    /// One pass of `kernel` on all workers: seconds of wall time.
    func pass(_ kernel: StreamKernel) throws -> Double {
        var checksum = 0.0
        let seconds = canrun_team_run(team, Int32(kernel.code), &checksum)
        guard seconds > 0 else { throw BenchmarkError.team("a \(kernel.rawValue) pass failed") }
        return seconds
    }

    /// Bytes one pass of `kernel` counts across all workers.
    func countedBytes(_ kernel: StreamKernel) -> Int64 {
        Int64(threads) * kernel.countedBytes(bytesPerArray: bytesPerArray)
    }

    static var kernelISA: String { String(cString: canrun_kernel_isa()) }
}

extension StreamKernel {
    var code: UInt32 {
        switch self {
        case .read: CANRUN_KERNEL_READ.rawValue
        case .copy: CANRUN_KERNEL_COPY.rawValue
        case .triad: CANRUN_KERNEL_TRIAD.rawValue
        }
    }
}

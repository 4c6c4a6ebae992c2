/// Where llama.cpp puts a model's layers. Encoded as `cpu`, `unified`, `gpu`, `multi_gpu`,
/// `moe_experts_on_cpu`, `partial_offload`, or `none` (no memory figure for the machine).
public enum PlacementMode: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    case none
    /// Everything in RAM, the CPU multiplies.
    case cpu
    /// An integrated GPU reads the host's memory (Apple, GB10, Strix Halo).
    case unified
    /// Everything on one discrete GPU.
    case gpu
    /// Layers split over several GPUs.
    case multiGPU = "multi_gpu"
    /// Attention, shared weights and KV on the GPU; routed experts in RAM.
    case moeExpertsOnCPU = "moe_experts_on_cpu"
    /// Whole layers on the GPU, the rest in RAM.
    case partialOffload = "partial_offload"

    public var description: String { rawValue }

    /// A short name for narrow tables (`moe-cpu`, `partial`, `multi`).
    public var shortName: String {
        switch self {
        case .moeExpertsOnCPU: "moe-cpu"
        case .partialOffload: "partial"
        case .multiGPU: "multi"
        default: rawValue
        }
    }
}

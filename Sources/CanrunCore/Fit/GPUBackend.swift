/// The llama.cpp GPU backend a fit answers for: its kernels, efficiencies and memory rules.
public enum GPUBackend: String, Sendable, Hashable, CaseIterable, Codable {
    case cuda, rocm, vulkan, metal

    /// The backend llama.cpp users usually build for a GPU of `vendor`: Metal on Apple, CUDA on
    /// NVIDIA, ROCm (HIP) on AMD, Vulkan elsewhere (Intel, others).
    public static func usual(vendor: String?) -> GPUBackend {
        switch vendor {
        case "Apple": .metal
        case "NVIDIA": .cuda
        case "AMD": .rocm
        default: .vulkan
        }
    }
}

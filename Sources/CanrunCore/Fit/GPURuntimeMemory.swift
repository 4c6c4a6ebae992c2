/// What llama.cpp holds on a GPU beside the model's own buffers (weights, KV cache, compute
/// buffer), per GPU it places work on.
public enum GPURuntimeMemory {
    /// The backend's context, bytes: the CUDA or ROCm context with its loaded kernels, 457 MiB;
    /// Metal's, 512 MiB. These are Ollama's figures for "VRAM consumed by context structures
    /// independent of model allocations", which it sets aside on every GPU it schedules on
    /// (`ml.DeviceInfo.MinimumMemory`). llama.cpp's `--fit` needs no such term because it asks
    /// the driver for free memory after its own context exists; canrun compares against total
    /// memory and against free memory read before llama.cpp starts, so it must add it.
    public static func contextBytes(backend: String) -> Int64 {
        backend == "metal" ? 512 << 20 : 457 << 20
    }

    /// llama.cpp's `--fit` keeps 1 GiB free on every device it places on (`common/fit.cpp`).
    public static let fitMarginBytes: Int64 = 1 << 30

    /// Context and margin on one GPU of `backend`.
    public static func perGPU(backend: String) -> Int64 { contextBytes(backend: backend) + fitMarginBytes }
}

/// A GPU's peak rates per execution unit, each in one convention (config/gpus.toml's
/// `fp16_acc16_tflops`, `fp16_acc32_tflops`, `int8_tops`, `fp32_tflops`): dense (no 2:4
/// sparsity), at the vendor's boost clock, per second. Which one a prompt runs at depends on the
/// backend's kernel for the weights' type (`PrefillKernel`).
public struct GPUPeaks: Codable, Sendable, Equatable {
    /// FP16 matrix units with FP16 accumulation, FLOP/s (cuBLAS `COMPUTE_16F`).
    public var fp16Acc16FlopsPerS: Double?
    /// FP16 matrix units with FP32 accumulation, FLOP/s (GeForce: half the FP16-accumulate rate).
    public var fp16Acc32FlopsPerS: Double?
    /// INT8 matrix units (tensor cores, WMMA, MFMA), or dp4a where there are none, ops/s:
    /// llama.cpp's quantized matrix multiplication (MMQ).
    public var int8OpsPerS: Double?
    /// FP32 vector (shader) units, FLOP/s.
    public var fp32FlopsPerS: Double?
    /// The power the board may draw, W, as the vendor rates it (`board_power_w`: total board
    /// power, TGP, or a module's TDP). Matrix units at the boost clock can need more, and then
    /// the clock drops (`PrefillSpeedModel.clockFraction`).
    public var boardPowerW: Double?
    /// `table` (the rated power) or the driver reading that set `boardPowerW` (`nvml`,
    /// `nvidia-smi`, `amdgpu_sysfs`: the enforced limit); nil when unknown.
    public var boardPowerSource: String? = nil
    /// Where the figures come from (the table's `peaks_source`).
    public var source: String?

    public init(
        fp16Acc16FlopsPerS: Double? = nil,
        fp16Acc32FlopsPerS: Double? = nil,
        int8OpsPerS: Double? = nil,
        fp32FlopsPerS: Double? = nil,
        boardPowerW: Double? = nil,
        boardPowerSource: String? = nil,
        source: String? = nil
    ) {
        self.fp16Acc16FlopsPerS = fp16Acc16FlopsPerS
        self.fp16Acc32FlopsPerS = fp16Acc32FlopsPerS
        self.int8OpsPerS = int8OpsPerS
        self.fp32FlopsPerS = fp32FlopsPerS
        self.boardPowerW = boardPowerW
        self.boardPowerSource = boardPowerSource
        self.source = source
    }

    /// Nil when neither a rate nor the board's power is known.
    var nonEmpty: GPUPeaks? {
        [fp16Acc16FlopsPerS, fp16Acc32FlopsPerS, int8OpsPerS, fp32FlopsPerS, boardPowerW].contains { $0 != nil }
            ? self : nil
    }
}

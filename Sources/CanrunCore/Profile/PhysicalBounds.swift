/// The physical bounds of every machine fact canrun reads, decided once, here. Every decoder
/// (dmidecode text, raw SMBIOS, udev's database, `/proc/cpuinfo`, `/proc/meminfo`, hwloc XML,
/// `nvidia-smi`, `rocm-smi`, NVML answers in a recording) and every profile a user hands in
/// (`--machine FILE.json`) passes its numbers through them: a value outside is unknown, with a
/// warning (or, in a user's file, an error) naming the source, the value and the bound.
///
/// Each bound is generous, many times what any machine sold today has, so a real machine never
/// trips it, yet physical: what lies beyond is a corrupt or hostile file. They are also small
/// enough that the sums canrun takes (over NUMA nodes, GPUs, DIMMs, channels) fit `Int64` with
/// room to spare: at most `maxNUMANodes` × `memoryBytes` = 2^12 × 2^50 = 2^62.
public enum PhysicalBounds {
    /// 2^50 bytes (1 PiB) of memory in one NUMA node, one GPU, or one machine. The largest
    /// single-image machines hold 32 TiB (2^45: HPE Superdome Flex, 32 sockets × 1 TiB); the
    /// largest GPU 288 GB.
    public static let memoryBytes = PhysicalBound<Int64>("memory", 0...(1 << 50), "bytes")

    /// 4 TiB per memory device (SMBIOS type 17): 16 × the largest DDR5 RDIMM (256 GB) today.
    public static let moduleBytes = PhysicalBound<Int64>("memory device size", 0...(1 << 42), "bytes")

    /// Cache levels 1 to 8: hwloc knows up to L5, and memory-side caches are not levels.
    public static let cacheLevel = PhysicalBound<Int>("cache level", 1...8, "")

    /// 1 TiB per cache instance: L3 is at most 1.1 GiB (EPYC 9684X), a memory-side cache at most
    /// hundreds of GiB (Optane Memory Mode, which the profile counts as memory, not cache).
    public static let cacheBytes = PhysicalBound<Int64>("cache size", 1...(1 << 40), "bytes")

    /// 20000 MT/s: DDR5 MRDIMMs run 8800, LPDDR5X 10700, and DDR6 is specified to about 17600.
    public static let transferRateMts = PhysicalBound<Int>("memory transfer rate", 1...20_000, "MT/s")

    /// 1024 bits per memory device: a DIMM has 64 (72 or 80 with ECC), an LPDDR package 16 or 32,
    /// an HBM stack 1024. SMBIOS's 0xFFFF is "unknown"; anything else above is corrupt.
    public static let memoryWidthBits = PhysicalBound<Int>("memory device width", 1...1024, "bits")

    /// 16 ranks per memory device: SMBIOS has 4 bits for it, and real LRDIMMs have at most 8.
    public static let memoryRank = PhysicalBound<Int>("memory rank", 1...16, "ranks")

    /// 256 populated memory channels per machine: 32 sockets × 6 channels (Superdome Flex) is 192;
    /// 8 sockets × 8 (Xeon Scalable) 64.
    public static let memoryChannels = PhysicalBound<Int>("memory channels", 1...256, "channels")

    /// 4096 memory device slots per machine (SMBIOS type 17 entries): 32 sockets × 12 slots is 384.
    public static let memorySlots = PhysicalBound<Int>("memory slots", 0...4096, "slots")

    /// 65536 cores, and as many hardware threads, per machine: Linux's largest `NR_CPUS` is 8192.
    public static let cores = PhysicalBound<Int>("cores", 1...65_536, "cores")
    public static let threads = PhysicalBound<Int>("hardware threads", 1...65_536, "threads")

    /// A logical CPU's OS index (a bit of an hwloc cpuset, `processor` in `/proc/cpuinfo`):
    /// below 65536, as `threads`.
    public static let cpuIndex = PhysicalBound<Int>("logical CPU index", 0...65_535, "")

    /// 1024 packages (sockets) per machine: the largest single-image machines have 32 (HPE) to
    /// 256 (SGI UV 3000).
    public static let packages = PhysicalBound<Int>("packages", 1...1024, "packages")

    /// A package's (socket's) OS index: below 65536, as `cpuIndex`.
    public static let packageIndex = PhysicalBound<Int>("package index", 0...65_535, "")

    /// 4096 NUMA nodes, and OS indexes below 4096: Linux's `NODES_SHIFT` is at most 10 (1024
    /// nodes). With `memoryBytes`, the sum over nodes stays below 2^62.
    public static let maxNUMANodes = 4096
    public static let numaNodeIndex = PhysicalBound<Int>("NUMA node index", 0...4095, "")

    /// 1024 GPUs per machine (8–16 today); with `memoryBytes` their sum stays below 2^60.
    public static let maxGPUs = 1024

    /// SLIT-style NUMA distances, 10 meaning local: ACPI's SLIT has one byte (10…254), and HMAT
    /// latencies that hwloc scales into the matrix stay far below 10000.
    public static let numaDistance = PhysicalBound<Int>("NUMA distance", 1...10_000, "")

    /// 100 GHz: the fastest CPUs boost to about 6.2 GHz.
    public static let clockMhz = PhysicalBound<Int>("clock", 1...100_000, "MHz")
    public static let clockMhzReading = PhysicalBound<Double>("clock", 1...100_000, "MHz")

    /// 10^15 bytes per second (1 PB/s) for any memory or link rate: the fastest GPU memory moves
    /// 8 TB/s, 192 DDR5 channels at 20000 MT/s 31 TB/s.
    public static let bytesPerS = PhysicalBound<Int64>("rate", 1...1_000_000_000_000_000, "bytes/s")

    /// A measured rate may be 0 ("not measured", `BandwidthReport`), never negative.
    public static let measuredBytesPerS = PhysicalBound<Int64>(
        "measured rate",
        0...1_000_000_000_000_000,
        "bytes/s"
    )

    /// Measured ÷ theoretical bandwidth: about 0.7–0.9; caches or a wrong peak can push it past
    /// 1, but not past 100.
    public static let fractionOfPeak = PhysicalBound<Double>("fraction of peak", 0...100, "")

    /// A benchmark's duration: up to 10^6 s (11.6 days).
    public static let durationS = PhysicalBound<Double>("duration", 0...1_000_000, "s")

    /// PCIe generations 1–7 and links of 1–32 lanes, as the specification defines them.
    public static let pcieGeneration = PhysicalBound<Int>("PCIe generation", 1...7, "")
    public static let pcieLanes = PhysicalBound<Int>("PCIe link width", 1...32, "lanes")

    /// 10^18 FLOP/s per device: a B200 does 2.25 × 10^15 dense FP16.
    public static let flopsPerS = PhysicalBound<Int64>("compute rate", 1...1_000_000_000_000_000_000, "FLOP/s")

    /// The same bound for the per-unit peaks (`GPUPeaks`), which the table gives as decimals.
    public static let peakRate = PhysicalBound<Double>("compute rate", 1...1e18, "op/s")

    /// A GPU board's rated power: 1 W to 10 kW (a GB300 module is rated 1.4 kW).
    public static let boardPowerW = PhysicalBound<Double>("board power", 1...10_000, "W")

    /// GPU memory bus: 8192 bits on today's widest HBM parts (B200, MI300X); 65536 allows 8 × that.
    public static let busWidthBits = PhysicalBound<Int>("memory bus width", 1...65_536, "bits")

    /// hwloc's CPU kind efficiency is a rank among the kinds of one machine.
    public static let cpuKindEfficiency = PhysicalBound<Int>("CPU kind efficiency rank", 0...65_535, "")
}

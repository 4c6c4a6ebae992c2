/// The processor: identity, counts, the instruction sets inference kernels can use, caches and
/// core kinds.
public struct CPUFacts: Codable, Sendable, Equatable {
    /// `GenuineIntel`, `AuthenticAMD`, or the ARM implementer's name.
    public var vendor: String?
    public var model: String?
    /// `x86_64`, `aarch64`, … as the kernel names it.
    public var architecture: String?
    public var packages: Int?
    /// Physical cores (hwloc `Core` objects).
    public var cores: Int?
    /// Hardware threads (hwloc `PU` objects).
    public var threads: Int?
    /// Instruction-set features that are advertised **and** enabled by the OS, lowercase as in
    /// `/proc/cpuinfo` (`avx2`, `avx512f`, `avx512_vnni`, `amx_bf16`, `neon`, `sve`, …), sorted.
    public var isa: [String]
    /// Features the CPU advertises but this OS or process cannot use (AMX without the kernel's
    /// XTILEDATA grant, AVX-512 without ZMM state in XCR0). Never assumed for speed.
    public var isaUnusable: [String]
    public var caches: [CacheFacts]
    /// Hybrid designs (P/E cores, big.LITTLE); empty when all cores are alike.
    public var kinds: [CPUKindFacts]
    /// The fastest core's clock, MHz: cpufreq's maximum through hwloc where the kernel has
    /// cpufreq, else the highest `cpu MHz` in /proc/cpuinfo (`sources["cpu.frequency"]` says
    /// which). Used for the CPU's peak FLOP/s; nil when neither is known.
    public var frequencyMaxMhz: Int?

    public init(
        vendor: String? = nil,
        model: String? = nil,
        architecture: String? = nil,
        packages: Int? = nil,
        cores: Int? = nil,
        threads: Int? = nil,
        isa: [String] = [],
        isaUnusable: [String] = [],
        caches: [CacheFacts] = [],
        kinds: [CPUKindFacts] = [],
        frequencyMaxMhz: Int? = nil
    ) {
        self.vendor = vendor
        self.model = model
        self.architecture = architecture
        self.packages = packages
        self.cores = cores
        self.threads = threads
        self.isa = isa
        self.isaUnusable = isaUnusable
        self.caches = caches
        self.kinds = kinds
        self.frequencyMaxMhz = frequencyMaxMhz
    }
}

/// One cache level across the machine: `count` instances of `sizeBytes` each.
public struct CacheFacts: Codable, Sendable, Equatable, Hashable {
    public var level: Int
    /// `data`, `instruction` or `unified`.
    public var kind: String
    public var sizeBytes: Int64
    public var count: Int

    public init(level: Int, kind: String, sizeBytes: Int64, count: Int) {
        self.level = level
        self.kind = kind
        self.sizeBytes = sizeBytes
        self.count = count
    }
}

/// A class of cores in a hybrid CPU, as hwloc's CPU kinds report it.
public struct CPUKindFacts: Codable, Sendable, Equatable {
    /// hwloc's `CoreType` or `ARM part` info when known (`IntelCore`, `IntelAtom`,
    /// `AMDPerformance`, `0xd85`), else `kindN`.
    public var name: String
    /// Logical CPU (PU) OS indexes of this kind.
    public var cpus: [Int]
    /// hwloc's efficiency rank: higher is faster; `nil` when hwloc could not rank kinds.
    public var efficiency: Int?
    public var frequencyMaxMhz: Int?

    public init(name: String, cpus: [Int], efficiency: Int? = nil, frequencyMaxMhz: Int? = nil) {
        self.name = name
        self.cpus = cpus
        self.efficiency = efficiency
        self.frequencyMaxMhz = frequencyMaxMhz
    }
}

// A what-if profile may give a CPU's cores and nothing more: the lists default to empty.
extension CPUFacts {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            vendor: try c.decodeIfPresent(String.self, forKey: .vendor),
            model: try c.decodeIfPresent(String.self, forKey: .model),
            architecture: try c.decodeIfPresent(String.self, forKey: .architecture),
            packages: try c.decodeIfPresent(Int.self, forKey: .packages),
            cores: try c.decodeIfPresent(Int.self, forKey: .cores),
            threads: try c.decodeIfPresent(Int.self, forKey: .threads),
            isa: try c.decodeIfPresent([String].self, forKey: .isa) ?? [],
            isaUnusable: try c.decodeIfPresent([String].self, forKey: .isaUnusable) ?? [],
            caches: try c.decodeIfPresent([CacheFacts].self, forKey: .caches) ?? [],
            kinds: try c.decodeIfPresent([CPUKindFacts].self, forKey: .kinds) ?? [],
            frequencyMaxMhz: try c.decodeIfPresent(Int.self, forKey: .frequencyMaxMhz)
        )
    }
}

/// The most bytes canrun reads from one kind of file, and what that kind is called in errors
/// ("is 8.0 GiB, more than the 1 MiB a meminfo can be"). Each bound is far above the largest
/// real file of its kind; a file above it is refused before it is read (or, for procfs and
/// sysfs files, whose size `fstat` does not know, as soon as reading passes it).
public struct ReadLimit: Equatable, Sendable {
    public var bytes: Int
    /// "a meminfo", with its article.
    public var what: String

    public init(bytes: Int, what: String) {
        self.bytes = bytes
        self.what = what
    }

    /// `/proc/meminfo` is about 1.5 KiB.
    public static let meminfo = ReadLimit(bytes: 1 << 20, what: "a meminfo")
    /// `/proc/cpuinfo` takes about 1.5 KiB per logical CPU: 16 MiB is 10,000 CPUs.
    public static let cpuinfo = ReadLimit(bytes: 16 << 20, what: "a cpuinfo")
    /// A sysfs attribute is at most a page (4 KiB) by the kernel's own rule.
    public static let sysfsAttribute = ReadLimit(bytes: 64 << 10, what: "a sysfs attribute")
    /// SMBIOS tables are a few KiB; 16 MiB is far above any firmware's.
    public static let smbiosTable = ReadLimit(bytes: 16 << 20, what: "an SMBIOS table")
    /// udev's `+dmi:id` entry is a few KiB.
    public static let udevDatabase = ReadLimit(bytes: 1 << 20, what: "a udev database entry")
    /// Shipped and user catalog TOML files (the largest shipped one is under 200 KiB).
    public static let catalogFile = ReadLimit(bytes: 4 << 20, what: "a catalog file")
    /// `gpus.toml`, `quants.toml`, `efficiency.toml`, `presets.toml` (gpus.toml is 110 KiB).
    public static let dataTable = ReadLimit(bytes: 16 << 20, what: "a canrun data table")
    /// `canrun.toml` and its drop-ins.
    public static let configFile = ReadLimit(bytes: 1 << 20, what: "a configuration file")
    /// A Hugging Face `config.json` (a few KiB; label maps make some larger).
    public static let modelConfig = ReadLimit(bytes: 16 << 20, what: "a config.json")
    /// An Ollama manifest (under 1 KiB).
    public static let ollamaManifest = ReadLimit(bytes: 1 << 20, what: "an Ollama manifest")
    /// A `canrun probe --json` profile (`--machine FILE.json`).
    public static let machineProfile = ReadLimit(bytes: 16 << 20, what: "a machine profile")
    /// A recorded tool output in a replay (hwloc XML of a large machine with I/O is a few MiB).
    public static let recordedOutput = ReadLimit(bytes: 64 << 20, what: "a recorded tool output")
    /// The bandwidth cache (a report with its history is a few KiB).
    public static let bandwidthCache = ReadLimit(bytes: 4 << 20, what: "a bandwidth cache")

    /// `1 MiB`: whole binary units, as the limits are chosen.
    var bytesText: String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = bytes
        var unit = 0
        while value >= 1024, value % 1024 == 0, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return "\(value) \(units[unit])"
    }
}

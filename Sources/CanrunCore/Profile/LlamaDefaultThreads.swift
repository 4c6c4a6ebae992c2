extension CPUFacts {
    /// The threads llama.cpp runs when not told (`-t` unset: `common_cpu_get_num_math`): on a
    /// hybrid x86 CPU its performance cores, one thread each (it skips the SMT siblings and the
    /// efficiency cores); elsewhere one per physical core. The performance cores are the fastest
    /// kind's logical CPUs less the SMT siblings (`threads − cores`: hybrid x86 parts give SMT
    /// to their performance cores only). Nil when the core count is unknown.
    public var llamaDefaultThreads: Int? {
        guard let cores, cores > 0 else { return nil }
        let x86 = architecture.map { $0.hasPrefix("x86") } ?? (vendor == "GenuineIntel" || vendor == "AuthenticAMD")
        guard x86, kinds.count > 1,
            let fastest = kinds.max(by: {
                ($0.efficiency ?? 0, $0.frequencyMaxMhz ?? 0) < ($1.efficiency ?? 0, $1.frequencyMaxMhz ?? 0)
            })
        else { return cores }
        let siblings = max(0, (threads ?? cores) - cores)
        return min(cores, max(1, fastest.cpus.count - siblings))
    }

    /// The threads llama.cpp runs on `cpu` with `-t asked`: as asked, else its default
    /// (`llamaDefaultThreads`); nil when neither is known.
    public static func llamaThreads(asked: Int?, cpu: CPUFacts?) -> Int? {
        asked ?? cpu?.llamaDefaultThreads
    }
}

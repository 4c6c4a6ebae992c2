/// The physical bounds (`PhysicalBounds`) applied to what any SMBIOS source (raw table,
/// dmidecode text, udev's database) decoded, in one place: each value outside becomes unknown
/// and a problem names the source, the value and the bound.
extension MemoryDeviceRecord {
    public func bounded(from source: String, problems: inout [String]) -> MemoryDeviceRecord {
        var d = self
        let named = source + (locator.map { " (\($0))" } ?? "")
        d.sizeBytes = PhysicalBounds.moduleBytes.admit(sizeBytes, from: named, problems: &problems)
        d.speedMts = PhysicalBounds.transferRateMts.admit(speedMts, from: named + " speed", problems: &problems)
        d.configuredSpeedMts = PhysicalBounds.transferRateMts.admit(
            configuredSpeedMts,
            from: named + " configured speed",
            problems: &problems
        )
        d.dataWidthBits = PhysicalBounds.memoryWidthBits.admit(
            dataWidthBits,
            from: named + " data width",
            problems: &problems
        )
        d.totalWidthBits = PhysicalBounds.memoryWidthBits.admit(
            totalWidthBits,
            from: named + " total width",
            problems: &problems
        )
        d.rank = PhysicalBounds.memoryRank.admit(rank, from: named, problems: &problems)
        return d
    }
}

extension ProcessorRecord {
    public func bounded(from source: String, problems: inout [String]) -> ProcessorRecord {
        var p = self
        let named = source + (socketDesignation.map { " (\($0))" } ?? "")
        p.coreCount = PhysicalBounds.cores.admit(coreCount, from: named, problems: &problems)
        p.threadCount = PhysicalBounds.threads.admit(threadCount, from: named, problems: &problems)
        return p
    }
}

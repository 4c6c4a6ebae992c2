import CanrunCore
import Testing

/// Channel rules from Tests/Fixtures/README ("Conventions") and notes/hardware-probing.md §5.
struct MemoryChannelAnalyzerTests {
    private func dimm(
        _ locator: String?,
        _ bank: String? = nil,
        gib: Int64 = 16,
        mts: Int? = 4800,
        width: Int? = 64,
        type: String = "DDR5",
        form: String = "DIMM"
    ) -> MemoryDeviceRecord {
        MemoryDeviceRecord(
            locator: locator,
            bankLocator: bank,
            sizeBytes: gib << 30,
            type: type,
            formFactor: form,
            speedMts: mts,
            configuredSpeedMts: mts,
            dataWidthBits: width
        )
    }

    /// Two DIMMs on one channel add capacity, not bandwidth: 2 × 8 B × 3200 = 51.2 GB/s.
    @Test func twoDimmsPerChannelCountOnce() {
        let devices = [
            dimm("DIMM 0", "P0 CHANNEL A", mts: 3200), dimm("DIMM 1", "P0 CHANNEL A", mts: 3200),
            dimm("DIMM 0", "P0 CHANNEL B", mts: 3200), dimm("DIMM 1", "P0 CHANNEL B", mts: 3200),
        ]
        let a = MemoryChannelAnalyzer.analyze(devices)
        #expect(a.channelsPopulated == 2)
        #expect(a.mapping == .stated)
        #expect(a.theoreticalBandwidthBytesPerS == 51_200_000_000)
        #expect(a.modules?.map(\.channel) == ["P0/A", "P0/A", "P0/B", "P0/B"])
    }

    /// Dell slots A1…A16 / B1…B16: letter = socket, number = channel slot (inferred).
    @Test func dellSlotNamesAreInferred() {
        var devices = (1...16).map { dimm("A\($0)", gib: $0 <= 4 ? 64 : 0, mts: 3200, type: "DDR4") }
        devices += (1...16).map { dimm("B\($0)", gib: $0 <= 4 ? 64 : 0, mts: 3200, type: "DDR4") }
        let a = MemoryChannelAnalyzer.analyze(devices)
        #expect(a.slots == 32)
        #expect(a.modules?.count == 8)
        #expect(a.channelsPopulated == 8)
        #expect(a.mapping == .inferred)
        #expect(a.theoreticalBandwidthBytesPerS == 204_800_000_000)
        #expect(a.sockets.map(\.channelsPopulated) == [4, 4])
        #expect(a.sockets.map(\.theoreticalBandwidthBytesPerS) == [102_400_000_000, 102_400_000_000])
    }

    /// Soldered LPDDR with uninformative names: each package is its own 16-bit channel.
    @Test func solderedLPDDRCountsByDataWidth() {
        let devices = (0..<8).map { _ in
            dimm("Motherboard", gib: 4, mts: 4267, width: 16, type: "LPDDR4", form: "Row Of Chips")
        }
        let a = MemoryChannelAnalyzer.analyze(devices)
        #expect(a.channelsPopulated == 8)
        #expect(a.mapping == .inferred)
        #expect(a.theoreticalBandwidthBytesPerS == 68_272_000_000)
    }

    /// Names that say nothing about channels give "unknown", never a guess.
    @Test func unnamedSocketedDimmsAreUnknown() {
        let a = MemoryChannelAnalyzer.analyze([dimm("DIMM 0"), dimm("DIMM 1")])
        #expect(a.channelsPopulated == nil)
        #expect(a.mapping == .unknown)
        #expect(a.theoreticalBandwidthBytesPerS == nil)
        #expect(a.notes.first?.contains("channel mapping unknown") == true)
        #expect(a.modules?.count == 2)
    }

    @Test func unknownSpeedLeavesBandwidthUnknown() {
        let a = MemoryChannelAnalyzer.analyze([dimm("DIMMA1", "P0 CHANNEL A", mts: nil)])
        #expect(a.channelsPopulated == 1)
        #expect(a.theoreticalBandwidthBytesPerS == nil)
        #expect(a.notes.contains { $0.contains("peak bandwidth unknown") })
    }

    /// Intel client boards: `Controller0-DIMMA2`, `Controller1-DIMMB2` are two channels.
    @Test func controllerAndLetterSlotsAreStated() {
        let a = MemoryChannelAnalyzer.analyze([
            dimm("Controller0-DIMMA2", "BANK 0", mts: 6400), dimm("Controller1-DIMMB2", "BANK 0", mts: 6400),
        ])
        #expect(a.channelsPopulated == 2)
        #expect(a.mapping == .stated)
        #expect(a.theoreticalBandwidthBytesPerS == 102_400_000_000)
    }

    @Test func noPopulatedDevices() {
        let a = MemoryChannelAnalyzer.analyze([dimm("A1", gib: 0)])
        #expect(a.modules?.isEmpty == true)
        #expect(a.channelsPopulated == nil)
        #expect(a.mapping == .unknown)
    }
}

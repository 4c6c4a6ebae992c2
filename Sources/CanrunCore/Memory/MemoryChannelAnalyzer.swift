import Foundation

/// Works out populated memory channels and the theoretical peak bandwidth from SMBIOS memory
/// devices.
///
/// Peak = Σ over populated channels of (widest data width on the channel ÷ 8) × configured MT/s.
/// A second DIMM on a channel adds capacity, not bandwidth; a DDR5 DIMM's two 32-bit
/// sub-channels count as one 64-bit channel; each soldered LPDDR package counts with its own
/// data width. The rated speed is used only when no configured speed is given.
///
/// Channels come from the slot names, in this order:
/// 1. a stated channel: `CHANNEL A` / `Channel3` in the bank or device locator, or a letter slot
///    name `DIMMA2`, `CPU0_DIMM_A`, `CPU1_DIMM_B1`, `P1-DIMMA1`, or socket-first `DIMM_P0_A0`
///    (Gigabyte's EPYC boards: socket P0, channel A, slot 0) (letter = channel) — `stated`;
/// 2. Dell's letter-number slots (`A1`…`A12`, `DIMM_A1`…`DIMM_A12`, letter = socket): the
///    number is taken as the channel, since Dell fills the first slot of each channel first —
///    `inferred`;
/// 3. soldered memory (row of chips, LPDDR) with uninformative names: one channel per device of
///    its data width — `inferred`;
/// 4. otherwise `unknown`: no channel count and no bandwidth, never a guess.
///
/// Every record passes `PhysicalBounds` first (the readers bound theirs already; this keeps the
/// analysis total for any input), and the sums are checked: a value no machine has is unknown,
/// never a trap or a wrong total.
public enum MemoryChannelAnalyzer {
    public struct Analysis: Sendable, Equatable {
        /// Populated devices; `nil` when SMBIOS lists no memory device at all (nothing known,
        /// which is not "none"), or more than any machine has.
        public var modules: [MemoryModuleFacts]?
        /// Memory device slots listed, populated or not; `nil` as `modules`.
        public var slots: Int?
        public var channelsPopulated: Int?
        public var mapping: ChannelMapping
        public var theoreticalBandwidthBytesPerS: Int64?
        public var sockets: [SocketMemoryFacts]
        /// Σ of the populated devices' sizes when every listed device's size is known, bytes;
        /// `nil` otherwise (the caller then has SMBIOS's mapped ranges, type 19).
        public var installedBytes: Int64?
        /// Why a figure is missing, in words.
        public var notes: [String]
    }

    public static func analyze(_ listed: [MemoryDeviceRecord]) -> Analysis {
        var analysis = Analysis(
            modules: nil,
            slots: nil,
            channelsPopulated: nil,
            mapping: .unknown,
            theoreticalBandwidthBytesPerS: nil,
            sockets: [],
            installedBytes: nil,
            notes: []
        )
        guard !listed.isEmpty else {
            analysis.notes.append("SMBIOS lists no memory devices (type 17): memory modules and channels unknown")
            return analysis
        }
        guard PhysicalBounds.memorySlots.contains(listed.count) else {
            analysis.notes.append(
                PhysicalBounds.memorySlots.problem("\(listed.count)", from: "SMBIOS memory device list")
            )
            return analysis
        }
        let devices = listed.enumerated().map { index, device in
            device.bounded(from: "memory device \(index)", problems: &analysis.notes)
        }
        let populated = devices.filter { $0.isPopulated && $0.sizeBytes != nil }
        let assignment = assignChannels(all: devices, populated: populated)
        analysis.modules = zip(populated, assignment.keys).map { device, key in
            MemoryModuleFacts(
                locator: device.locator,
                bankLocator: device.bankLocator,
                sizeBytes: device.sizeBytes ?? 0,
                type: device.type,
                formFactor: device.formFactor,
                speedMts: device.speedMts,
                configuredSpeedMts: device.configuredSpeedMts,
                dataWidthBits: device.dataWidthBits,
                totalWidthBits: device.totalWidthBits,
                rank: device.rank,
                manufacturer: device.manufacturer,
                partNumber: device.partNumber,
                channel: key?.description
            )
        }
        analysis.slots = devices.count
        analysis.mapping = assignment.mapping
        guard !populated.isEmpty else {
            analysis.mapping = .unknown
            let unsized = devices.filter { $0.sizeBytes == nil }.count
            if unsized > 0 {
                // Slots of unknown size may hold modules: "none" would be a guess.
                analysis.modules = nil
                analysis.notes.append(
                    "SMBIOS gives no usable size for \(unsized) of its \(devices.count) memory devices: memory modules unknown"
                )
            } else {
                analysis.notes.append("SMBIOS lists no populated memory device")
            }
            return analysis
        }
        if devices.allSatisfy({ $0.sizeBytes != nil }) {
            analysis.installedBytes = PhysicalBounds.memoryBytes.sum(
                populated.map(\.sizeBytes),
                from: "SMBIOS memory devices' total",
                problems: &analysis.notes
            )
        }
        let keys = assignment.keys.compactMap { $0 }
        guard keys.count == populated.count else {
            analysis.mapping = .unknown
            analysis.notes.append(
                "memory channel mapping unknown: slot names \(slotNames(populated)) do not name channels"
            )
            return analysis
        }
        var channels: [ChannelKey: [MemoryDeviceRecord]] = [:]
        for (device, key) in zip(populated, keys) { channels[key, default: []].append(device) }
        guard PhysicalBounds.memoryChannels.contains(channels.count) else {
            analysis.mapping = .unknown
            analysis.notes.append(
                PhysicalBounds.memoryChannels.problem("\(channels.count)", from: "SMBIOS slot names")
            )
            return analysis
        }
        analysis.channelsPopulated = channels.count

        // Bounded widths and speeds: at most 128 B × 20000 MT/s per channel and 256 channels,
        // 6.6 × 10^14 B/s in all, far inside Int64.
        var rates: [ChannelKey: Int64] = [:]
        for (key, members) in channels {
            let width = members.compactMap(\.dataWidthBits).max()
            let speed = members.compactMap { $0.configuredSpeedMts ?? $0.speedMts }.min()
            guard let width, let speed else { continue }
            rates[key] = Int64(width / 8) * Int64(speed) * 1_000_000
        }
        if rates.count == channels.count {
            analysis.theoreticalBandwidthBytesPerS = PhysicalBounds.bytesPerS.sum(
                channels.keys.sorted().map { rates[$0] },
                from: "SMBIOS peak bandwidth",
                problems: &analysis.notes
            )
        } else {
            analysis.notes.append("peak bandwidth unknown: SMBIOS gives no data width or speed for some modules")
        }
        let sockets = Set(channels.keys.map(\.socket))
        if sockets.count > 1 || sockets.first != nil {
            let ordered = sockets.sorted { ($0 ?? "") < ($1 ?? "") }
            analysis.sockets = ordered.enumerated().map { index, socket in
                let socketChannels = channels.keys.filter { $0.socket == socket }
                let rate: Int64? =
                    socketChannels.allSatisfy { rates[$0] != nil }
                    ? socketChannels.reduce(0) { $0 + (rates[$1] ?? 0) } : nil
                return SocketMemoryFacts(
                    socket: index,
                    channelsPopulated: socketChannels.count,
                    theoreticalBandwidthBytesPerS: rate
                )
            }
        }
        return analysis
    }

    private static func slotNames(_ devices: [MemoryDeviceRecord]) -> String {
        let names = devices.map { [$0.bankLocator, $0.locator].compactMap { $0 }.joined(separator: "/") }
        let unique = Array(Set(names)).sorted().prefix(4)
        return unique.isEmpty ? "(none)" : unique.map { "'\($0)'" }.joined(separator: ", ")
    }

    /// A channel's identity: socket token (nil when the board has one), controller, channel.
    struct ChannelKey: Hashable, Comparable, CustomStringConvertible, Sendable {
        var socket: String?
        var controller: String?
        var channel: String

        var description: String {
            [socket.map { "P\($0)" }, controller.map { "MC\($0)" }, channel].compactMap { $0 }.joined(separator: "/")
        }

        static func < (a: ChannelKey, b: ChannelKey) -> Bool { a.description < b.description }
    }

    private static func assignChannels(
        all: [MemoryDeviceRecord],
        populated: [MemoryDeviceRecord]
    ) -> (keys: [ChannelKey?], mapping: ChannelMapping) {
        let namesChannels = populated.allSatisfy {
            (($0.bankLocator ?? "") + " " + ($0.locator ?? "")).uppercased().contains("CHANNEL")
        }
        if !namesChannels, let dell = dellKeys(all: all, populated: populated) { return (dell, .inferred) }
        let stated = populated.map(statedKey)
        if stated.allSatisfy({ $0 != nil }) { return (stated, .stated) }
        if populated.allSatisfy(isSoldered), populated.allSatisfy({ $0.dataWidthBits != nil }) {
            let keys = populated.indices.map { ChannelKey(socket: nil, controller: nil, channel: "device\($0)") }
            return (keys, .inferred)
        }
        return (populated.map { _ in nil }, .unknown)
    }

    private static func isSoldered(_ d: MemoryDeviceRecord) -> Bool {
        d.formFactor == "Row Of Chips" || d.formFactor == "Chip" || (d.type?.hasPrefix("LPDDR") ?? false)
    }

    private static func statedKey(_ d: MemoryDeviceRecord) -> ChannelKey? {
        let bank = (d.bankLocator ?? "").uppercased()
        let locator = (d.locator ?? "").uppercased()
        let text = bank + " " + locator
        let socket =
            firstCapture(#"(?:^|[^A-Z])(?:P|CPU|NODE|SOCKET|PROC)\s*_?(\d+)"#, in: bank)
            ?? firstCapture(#"(?:^|[^A-Z])(?:P|CPU|NODE|SOCKET|PROC)\s*_?(\d+)"#, in: locator)
        let controller = firstCapture(#"CONTROLLER\s*_?(\d+)"#, in: text)
        if let channel = firstCapture(#"CHANNEL\s*[-_]?([A-Z0-9]+)"#, in: text) {
            return ChannelKey(socket: socket, controller: controller, channel: channel)
        }
        // A letter slot name names the channel when the number after it is a slot position on
        // that channel (at most 3 DIMMs per channel); Dell's A1…A16 were ruled out before.
        if let match = firstMatch(#"DIMM[ _]?([A-Z])(\d*)$"#, in: locator), (Int(match.1) ?? 1) <= 3 {
            return ChannelKey(socket: socket, controller: controller, channel: match.0)
        }
        // Socket before the letter: `DIMM_P0_A0` … `DIMM_P0_H0`, `DIMM_P1_I1` (the second socket's
        // channels carry on the letters), with the bank locator only `BANK n`.
        if let match = firstMatch(#"DIMM[ _-]?(?:P|CPU)\d+[ _-]([A-Z])(\d?)$"#, in: locator),
            (Int(match.1) ?? 1) <= 3
        {
            return ChannelKey(socket: socket, controller: controller, channel: match.0)
        }
        return nil
    }

    /// Dell names slots `A1`…`An` (`DIMM_A1` on older boards), one letter per socket. Accepted
    /// only when every slot follows the scheme and some letter has more than 3 slots, so the
    /// letter cannot be a channel.
    private static func dellKeys(all: [MemoryDeviceRecord], populated: [MemoryDeviceRecord]) -> [ChannelKey?]? {
        func parse(_ d: MemoryDeviceRecord) -> (String, Int)? {
            guard let locator = d.locator?.uppercased(),
                let m = firstMatch(#"^(?:DIMM_?)?([A-Z])(\d{1,2})$"#, in: locator), let n = Int(m.1)
            else { return nil }
            return (m.0, n)
        }
        let slots = all.compactMap(parse)
        guard slots.count == all.count, let widest = slots.map(\.1).max(), widest > 3 else { return nil }
        return populated.map { d in
            parse(d).map { ChannelKey(socket: $0.0, controller: nil, channel: String($0.1)) }
        }
    }

    private static func firstCapture(_ pattern: String, in text: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let r = Range(m.range(at: 1), in: text)
        else { return nil }
        return String(text[r])
    }

    private static func firstMatch(_ pattern: String, in text: String) -> (String, String)? {
        guard let regex = try? NSRegularExpression(pattern: pattern),
            let m = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let a = Range(m.range(at: 1), in: text), let b = Range(m.range(at: 2), in: text)
        else { return nil }
        return (String(text[a]), String(text[b]))
    }
}

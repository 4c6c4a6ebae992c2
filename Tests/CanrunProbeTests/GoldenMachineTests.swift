import CanrunCore
import CanrunProbe
import Foundation
import Testing

/// Replays every recorded machine of `Tests/Fixtures` and compares the profile with the facts
/// `expected.json` re-derived from each file (its `tolerance_note` cites the source of each
/// value). `null` there means the data does not show the fact: the profile must say unknown too.
struct GoldenMachineTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var kind: String
        var expect: [String: JSONValue]
        var testDescription: String { file }
    }

    enum JSONValue: Sendable, Equatable, Decodable {
        case null
        case bool(Bool)
        case int(Int64)
        case text(String)
        case ints([Int64])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let n = try? c.decode(Int64.self) {
                self = .int(n)
            } else if let s = try? c.decode(String.self) {
                self = .text(s)
            } else {
                self = .ints(try c.decode([Int64].self))
            }
        }
    }

    private struct ExpectedFile: Decodable {
        struct Entry: Decodable {
            var file: String
            var kind: String
            var expect: [String: JSONValue]
        }
        var fixtures: [Entry]
    }

    static let cases: [Case] = {
        guard let data = FileManager.default.contents(atPath: FixtureFiles.path("expected.json")),
            let file = try? JSONDecoder().decode(ExpectedFile.self, from: data)
        else { return [] }
        return file.fixtures.filter { $0.kind != "other" || $0.file.hasSuffix(".ttar") }.map {
            Case(file: $0.file, kind: $0.kind, expect: $0.expect)
        }
    }()

    @Test func everyFixtureHasAnExpectation() {
        #expect(Self.cases.count == 54)
    }

    @Test(arguments: cases)
    func replayMatchesTheRecordedFacts(_ fixture: Case) throws {
        let profile = try Self.profile(of: fixture)
        let observed = Self.facts(profile)
        // The synthetic procfs archive asserts only its DRM GPU facts (see its tolerance_note).
        let keys = fixture.file.hasSuffix(".ttar") ? ["gpu_memory_bytes"] : Array(fixture.expect.keys)
        for key in keys.sorted() {
            let expected = fixture.expect[key] ?? .null
            #expect(observed[key] == expected, "\(fixture.file): \(key)")
        }
    }

    static func profile(of fixture: Case) throws -> MachineProfile {
        let path = FixtureFiles.path(fixture.file)
        let readings: ProbeReadings
        if fixture.file.hasSuffix(".tar.bz2") || fixture.file.hasSuffix(".tar.gz") {
            let folder = try FixtureFiles.unpack(fixture.file)
            defer { FixtureFiles.remove(folder) }
            readings = try ReplaySource.read(folder)
        } else if fixture.file.hasSuffix(".ttar") {
            let folder = try FixtureFiles.unpackTtar(fixture.file)
            defer { FixtureFiles.remove(folder) }
            readings = try ReplaySource.read(folder)
        } else {
            readings = try ReplaySource.read(path)
        }
        return ProfileAssembler.assemble(readings, gpuTable: FixtureFiles.gpuTable)
    }

    /// The profile's answer to each question `expected.json` asks.
    static func facts(_ p: MachineProfile) -> [String: JSONValue] {
        func int(_ v: Int?) -> JSONValue { v.map { .int(Int64($0)) } ?? .null }
        func int64(_ v: Int64?) -> JSONValue { v.map { .int($0) } ?? .null }
        var f: [String: JSONValue] = [:]
        let nodes = p.numaNodes
        f["numa_nodes"] = int(nodes?.count)
        let memories = nodes?.map(\.memoryBytes) ?? []
        let memoryKnown = !(nodes?.isEmpty ?? true) && memories.allSatisfy { $0 != nil }
        f["numa_memory_bytes_total"] = memoryKnown ? .int(memories.reduce(0) { $0 + ($1 ?? 0) }) : .null
        f["numa_nodes_with_memory"] = memoryKnown ? .int(Int64(memories.filter { ($0 ?? 0) > 0 }.count)) : .null
        f["packages"] = int(p.cpu?.packages)
        f["cores"] = int(p.cpu?.cores)
        f["threads"] = int(p.cpu?.threads)
        f["gpus"] = int(p.gpus?.count)
        // Table values are nominal, not data: they do not answer "what does the file say".
        let read = (p.gpus ?? []).filter { $0.memorySource != "table" }.compactMap(\.memoryBytes)
        f["gpu_memory_bytes"] = read.isEmpty ? .null : .ints(read)
        let modules = p.memory.modules
        f["memory_modules"] = int(modules?.count)
        // What SMBIOS says is installed: the modules, or the mapped ranges when it lists none.
        f["memory_total_bytes"] = int64(p.memory.installedBytes)
        let types = Set((modules ?? []).map(\.type))
        f["memory_type"] = types.count == 1 ? (types.first!.map { .text($0) } ?? .null) : .null
        f["configured_speed_mts"] = int((modules ?? []).compactMap { $0.configuredSpeedMts ?? $0.speedMts }.min())
        f["channels_populated"] = int(p.memory.channelsPopulated)
        f["channels_stated"] = p.memory.channelsPopulated == nil ? .null : .bool(p.memory.channelMapping == .stated)
        f["theoretical_bandwidth_bytes_per_s"] = int64(p.memory.theoreticalBandwidthBytesPerS)
        return f
    }
}

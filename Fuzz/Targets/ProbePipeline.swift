import CanrunCore
import CanrunProbe
import Foundation

/// Machine facts as recordings hold them, through the probe's readers, `ProfileAssembler` and a
/// fit. The first byte picks the reader; the rest is its input. The profile must stay within
/// `PhysicalBounds`, read back from its own JSON (what `canrun probe --json` writes,
/// `--machine` reads), and fit without a lying report.
enum ProbePipeline {
    enum Source: UInt8, CaseIterable {
        /// `dmidecode` text (`dmidecode.txt` of a recording).
        case dmidecode = 0
        /// A raw SMBIOS structure table (`/sys/firmware/dmi/tables/DMI`).
        case smbios = 1
        /// hwloc XML, v1 or v2 (`topology.xml`).
        case hwlocXML = 2
        /// A recorded folder (`ReplayTree`): `/sys` and `/proc` files, tool outputs, links.
        case replayTree = 3
    }

    /// The facts a reader feeds, in a few words.
    static func summary(_ p: MachineProfile) -> String {
        func known(_ value: Int64?) -> String { value.map { "\($0)" } ?? "unknown" }
        return "memory \(known(p.memory.totalBytes)) B, installed \(known(p.memory.installedBytes)) B, "
            + "\(p.memory.modules?.count ?? 0) modules, \(p.numaNodes?.count ?? 0) NUMA nodes, "
            + "CPU \(p.cpu?.model ?? "unknown"), \(p.warnings.count) warnings"
    }

    static func run(_ input: [UInt8], world: FuzzWorld) throws(FuzzInvariant) -> FuzzOutcome {
        guard let first = input.first, let source = Source(rawValue: first % UInt8(Source.allCases.count)) else {
            return .rejected(kind: "empty", message: "no byte to pick a reader with")
        }
        let body = Array(input.dropFirst())
        var readings = ProbeReadings()
        switch source {
        case .dmidecode:
            readings.smbios = DmidecodeTextReader.read(String(decoding: body, as: UTF8.self))
        case .smbios:
            let decoded = SMBIOSTableDecoder.decode(body)
            readings.smbios = decoded.reading
            readings.warnings += decoded.problems
        case .hwlocXML:
            do {
                readings.topology = try HwlocXMLDecoder.decode(Data(body))
            } catch {
                return .rejection(error)
            }
        case .replayTree:
            do {
                readings = try ReplayTree(body).replay(in: world.scratch)
            } catch {
                return .rejection(error)
            }
        }
        let profile = ProfileAssembler.assemble(readings, gpuTable: world.gpus)
        do {
            _ = try profile.validated()
        } catch {
            throw FuzzInvariant("probe", "the assembled profile is outside a physical bound: \(error)")
        }
        let readBack: MachineProfile
        do {
            readBack = try ProfileJSON.decoder().decode(
                MachineProfile.self,
                from: ProfileJSON.encoder().encode(profile)
            )
        } catch {
            throw FuzzInvariant("probe", "the profile's JSON does not read back: \(error)")
        }
        if readBack != profile { throw FuzzInvariant("probe", "the profile's JSON reads back to another profile") }
        var verdicts: [String] = []
        for model in world.probeModels {
            do {
                let report = try world.advisor.report(model, FitQuestion(quant: "Q4_K_M"), machine: profile)
                try FitInvariants.check(report, model: model, target: "probe")
                verdicts.append(report.verdict.rawValue)
            } catch let error as FuzzInvariant {
                throw error
            } catch {
                return .rejection(error)
            }
        }
        return .accepted("\(source): " + summary(profile) + "; " + verdicts.joined(separator: ", "))
    }
}

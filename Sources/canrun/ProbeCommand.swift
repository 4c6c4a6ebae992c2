import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

struct ProbeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Show what is in this machine: CPU, memory, DIMMs and channels, NUMA nodes, GPUs.",
        discussion: """
            Without root, SMBIOS (DIMMs, channels, peak bandwidth) comes from udev's database when it \
            has it; `warnings` says what is missing.

            --replay takes a folder written by --record, an unpacked hwloc-gather-topology archive, or \
            a folder or single file of: topology.xml (hwloc XML v1/v2), dmidecode.txt, nvidia-smi.xml \
            (nvidia-smi -q -x), rocm-smi.json (rocm-smi --json), lspci.txt (lspci -x), meminfo.
            """
    )

    @Flag(help: "Print the MachineProfile as JSON (the same document as GET /v1/machine).")
    var json = false

    @Option(
        help: ArgumentHelp(
            "Also write everything the probe read into DIR, scrubbed of serials and host names.",
            valueName: "DIR"
        )
    )
    var record: String?

    @Option(
        help: ArgumentHelp(
            "Rebuild the profile from a recording or tool outputs instead of this machine.",
            valueName: "PATH"
        )
    )
    var replay: String?

    @Flag(help: "Skip PCI devices and GPU drivers (CPU and memory only).")
    var noPci = false

    @OptionGroup var daemon: DaemonOptions

    mutating func validate() throws {
        if record != nil && replay != nil {
            throw ValidationError("--record and --replay exclude each other: record this machine, or replay another")
        }
    }

    func run() throws {
        try reportingCLIErrors(probe)
    }

    private func probe() throws {
        let table: GPUTable
        do {
            table = try DataDirectory.gpuTable()
        } catch {
            throw CLIError(message: "\(error)")
        }
        if replay == nil, record == nil, !noPci, let profile = daemon.machine() {
            try show(profile)
            return
        }
        let readings: ProbeReadings
        if let replay {
            do {
                readings = try ReplaySource.read(replay)
            } catch {
                throw CLIError(message: "\(error)")
            }
        } else {
            let known: @Sendable (PCIDeviceRecord) -> Bool = { device in
                table.lookup(vendorId: device.vendorHex, deviceId: device.deviceHex, subsystem: device.subsystemHex)
                    != nil
            }
            let result = MachineProbe.probe(MachineProbe.Options(includePCI: !noPci, hasOwnName: known))
            readings = result.readings
            if let record {
                do {
                    try Recorder.write(result.capture, root: .live, to: record)
                } catch {
                    throw CLIError(message: "\(error)")
                }
            }
        }
        var profile = ProfileAssembler.assemble(readings, gpuTable: table)
        // The last `canrun bench` of this hardware, if any: from this user's state, or the one a
        // recording carries (`bandwidth.json` beside its files).
        let cache = BandwidthCache(directory: replay ?? BandwidthCache.userStateDirectory())
        if case .hit(let report) = cache.load(for: profile) {
            profile.bandwidth = report
            if let record {
                do {
                    try BandwidthCache(directory: record).store(report)
                } catch {
                    throw CLIError(message: "could not record the bandwidth measurement in \(record): \(error)")
                }
            }
        }
        try show(profile)
        if !json, let record { print("\nrecorded to \(record); replay with: canrun probe --replay \(record)") }
    }

    private func show(_ profile: MachineProfile) throws {
        if json {
            let data = try ProfileJSON.encoder().encode(profile)
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(ProfileText.render(profile))
        }
    }
}

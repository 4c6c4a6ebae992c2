import ArgumentParser
import CanrunCore
import CanrunProbe
import Foundation

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write one self-contained HTML page of what this machine can run (canrund serves it at /).",
        discussion: """
            The page holds the machine and its measured bandwidth, the ranked table (sortable, \
            filterable by verdict and name), and per model its memory as a stacked bar, its speed \
            against context depth and its launch command. Inline CSS, SVG and script: it opens \
            from a file, needs no network, and prints.

            Examples:
              canrun report                           # canrun-report.html here
              canrun report -o /tmp/box.html --preset rtx-4090
            """
    )

    @Option(
        name: .shortAndLong,
        help: ArgumentHelp("Where to write the page; - for standard output.", valueName: "FILE")
    )
    var output = "canrun-report.html"

    @OptionGroup var ranking: RankingOptions

    func run() throws {
        try reportingCLIErrors {
            let answer = try ranking.answer(quiet: output == "-")
            let presets = (try? DataDirectory.presets(gpus: answer.gpus).presets) ?? []
            let page = ReportPage.html(
                label: answer.label,
                machine: answer.machine,
                reports: answer.ranking.reports,
                extras: ReportExtras.of(
                    answer.ranking.reports,
                    advisor: answer.advisor,
                    machine: answer.machine,
                    presets: presets
                ),
                date: Date()
            )
            if output == "-" {
                print(page, terminator: "")
                return
            }
            do {
                try Data(page.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw CLIError(message: "could not write \(output): \(error.localizedDescription)")
            }
            print("wrote \(output): \(answer.ranking.reports.count) models on \(answer.label)")
        }
    }
}

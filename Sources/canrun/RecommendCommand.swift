import ArgumentParser
import CanrunBench
import CanrunCore
import CanrunProbe
import Foundation

struct RecommendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommend",
        abstract: "What this machine can run: the best quantization of each model that fits, best first.",
        discussion: """
            The first run on a machine measures its memory bandwidth (a few seconds) and caches it.

            Examples:
              canrun                        # the same as canrun recommend
              canrun recommend --ctx 32768 --min-tps 10
              canrun recommend --json | jq '.[0]'
            """
    )

    @OptionGroup var ranking: RankingOptions

    @Flag(help: "Print a JSON array of FitReports.")
    var json = false

    func run() throws {
        try reportingCLIErrors {
            let answer = try ranking.answer(quiet: json)
            if json {
                print(String(decoding: try ProfileJSON.encoder().encode(answer.ranking.reports), as: UTF8.self))
                return
            }
            let which = answer.label
            print("\(which): \(ProfileText.oneLine(answer.machine))")
            if answer.ranking.reports.isEmpty {
                print("nothing in the catalog fits \(which) at \(answer.context) tokens of context")
            } else {
                print(Recommendations.table(answer.ranking.reports))
            }
            if let line = Recommendations.leftOutLine(answer.ranking, minTokensPerSecond: ranking.minTps) {
                print(line)
            }
            print(
                "verdicts: runs well from \(ProfileText.decimal(Verdict.runsWellTokensPerS, places: 0)) tokens/s, "
                    + "runs from \(ProfileText.decimal(Verdict.runsTokensPerS, places: 0)); "
                    + "details and launch flags: canrun fit MODEL"
            )
        }
    }
}

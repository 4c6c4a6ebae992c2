import Foundation

/// The human summary of a bandwidth report that `canrun bench` prints.
public enum BandwidthText {
    public static func render(_ report: BandwidthReport, channels: Int?) -> String {
        var lines: [String] = []
        lines.append(
            "Memory bandwidth — \(report.kernelIsa) kernels, STREAM byte counting, best of each kernel's passes (median in brackets)"
        )
        lines.append(pad("run", 16) + pad("threads", 9) + pad("read", 24) + pad("copy", 24) + "triad")
        for run in report.runs {
            var line = pad(run.label, 16) + pad("\(run.threads)", 9)
            for kernel in StreamKernel.allCases {
                let cell = run.kernels.first { $0.kernel == kernel }.map {
                    "\(ProfileText.rate($0.statistics.bestBytesPerS)) (\(ProfileText.rate($0.statistics.medianBytesPerS)))"
                }
                line += pad(cell ?? "—", kernel == .triad ? 0 : 24)
            }
            lines.append(line)
        }
        lines.append(report.peakSentence(channels: channels))
        lines.append(
            "\(ProfileText.bytes(report.bufferBytes)) per array per thread; \(String(format: "%.1f", report.durationS)) s"
        )
        lines += report.notes
        if let unsteady = report.unsteadyNote { lines.append(unsteady) }
        return lines.joined(separator: "\n")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        width == 0 ? text : text.padding(toLength: max(width, text.count + 1), withPad: " ", startingAt: 0)
    }
}

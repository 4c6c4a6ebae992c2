import Foundation

/// The page a person reads (`canrun report`, canrund's `GET /`): one self-contained HTML file,
/// its CSS, SVG charts and the few lines of script that sort and filter the table inline, no
/// network, readable printed. It holds the machine with its measured bandwidth and history, the
/// ranked table of what runs, and per model its memory as a stacked bar, its speed against
/// context depth, and its launch command. Pure: the answers come in, the text goes out.
public enum ReportPage {
    /// The page for `machine` (named `label`: "this machine", "preset rtx-4090") and the ranked
    /// `reports`, made at `date`; `extras` (by index, `ReportExtras.of`) add each model's memory
    /// per quantization and its speed on the reference machines.
    public static func html(
        label: String,
        machine: MachineProfile,
        reports: [FitReport],
        extras: [ReportExtras?] = [],
        date: Date
    ) -> String {
        let day = ISO8601DateFormatter.string(from: date, timeZone: .gmt, formatOptions: [.withInternetDateTime])
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>canrun: what \(escape(label)) can run</title>
            <style>\(style)</style>
            </head>
            <body>
            <header>
            <h1>What \(escape(label)) can run</h1>
            <p class="sub">\(escape(ProfileText.oneLine(machine)))<br>canrun \(escape(CanrunVersion.current)), \(escape(day))</p>
            </header>
            <main>
            \(machineSection(machine))
            \(tableSection(reports))
            \(detailsSection(reports, extras))
            </main>
            <script>\(script)</script>
            </body>
            </html>

            """
    }

    // MARK: The machine

    static func machineSection(_ m: MachineProfile) -> String {
        var rows: [(String, String)] = []
        if let cpu = m.cpu {
            let cores = [cpu.cores.map { "\($0) cores" }, cpu.threads.map { "\($0) threads" }].compactMap { $0 }
            rows.append(("CPU", ([cpu.model ?? cpu.vendor ?? "unknown"] + cores).joined(separator: ", ")))
            if !cpu.isa.isEmpty { rows.append(("Vector units", cpu.isa.joined(separator: " "))) }
        }
        rows.append(("Memory", m.memory.totalBytes.map { "\(gib($0)) total" } ?? "unknown"))
        if let modules = m.memory.modules, !modules.isEmpty {
            rows.append(("Modules", "\(modules.count) DIMMs"))
        }
        let nodes = m.numaNodes?.count ?? 1
        rows.append(("NUMA", "\(nodes) node\(nodes == 1 ? "" : "s")"))
        let gpus = m.gpus ?? []
        rows.append(
            (
                "GPUs",
                gpus.isEmpty
                    ? "none"
                    : gpus.map { "\($0.name ?? "unknown")\($0.memoryBytes.map { " " + gib($0) } ?? "")" }
                        .joined(separator: ", ")
            )
        )
        let facts = rows.map { "<tr><th scope=\"row\">\(escape($0.0))</th><td>\(escape($0.1))</td></tr>" }
            .joined(separator: "\n")
        return """
            <section id="machine">
            <h2>The machine</h2>
            <table class="facts">
            \(facts)
            </table>
            \(bandwidthChart(m.bandwidth))
            </section>
            """
    }

    /// The read bandwidth measured now and before (oldest first), beside the theoretical peak.
    static func bandwidthChart(_ report: BandwidthReport?) -> String {
        guard let report else {
            return
                "<p>No memory bandwidth measured here (<code>canrun bench</code> measures it): speeds rest on the memory's theoretical peak where it is known.</p>"
        }
        let reads = (report.earlierReads ?? []).map(\.readBytesPerS) + [report.total.readBytesPerS]
        let peak = report.theoreticalPeakBytesPerS
        let top = Double(max(reads.max() ?? 1, peak ?? 0, 1))
        // One bar per reading, oldest on top, the one the answers use last and coloured.
        let width = 320.0
        let height = Double(reads.count) * 18 + (peak == nil ? 2 : 16)
        var shapes: [String] = []
        for (i, read) in reads.enumerated() {
            let w = max(2, 240 * Double(read) / top)
            let y = Double(i) * 18 + 2
            shapes.append(
                "<rect x=\"0\" y=\"\(fmt(y))\" width=\"\(fmt(w))\" height=\"14\" class=\"\(i == reads.count - 1 ? "now" : "before")\"><title>\(gbs(read))</title></rect><text x=\"\(fmt(w + 4))\" y=\"\(fmt(y + 11))\">\(gbs(read))</text>"
            )
        }
        if let peak {
            let x = 240 * Double(peak) / top
            shapes.append(
                "<line x1=\"\(fmt(x))\" x2=\"\(fmt(x))\" y1=\"0\" y2=\"\(fmt(height - 12))\" class=\"peak\"/><text x=\"\(fmt(max(0, x - 60)))\" y=\"\(fmt(height - 2))\">peak \(gbs(peak))</text>"
            )
        }
        let history = reads.count > 1 ? ", the \(reads.count - 1) before it above" : ""
        return """
            <figure>
            <svg viewBox="0 0 \(fmt(width)) \(fmt(height))" role="img" aria-label="memory read bandwidth">\(shapes.joined())</svg>
            <figcaption>Memory read \(gbs(report.total.readBytesPerS)), measured with \(report.threads) threads\(escape(history))\(peak.map { "; theoretical peak \(gbs($0))" } ?? "").</figcaption>
            </figure>
            """
    }

    // MARK: The table

    static func tableSection(_ reports: [FitReport]) -> String {
        let rows = reports.enumerated().map { i, r in
            let decode = r.decodeTokensPerS
            let prefill = r.prefillTokensPerS
            return """
                <tr data-verdict="\(r.verdict.rawValue)" data-rank="\(i)" data-model="\(escape(r.model))" data-decode="\(decode.map { fmt($0) } ?? "-1")" data-prefill="\(prefill.map { fmt($0) } ?? "-1")" data-memory="\(r.memory.totalBytes)" data-context="\(r.maxContextTokens)"><td><a href="#m\(i)">\(escape(r.model))</a></td><td>\(escape(r.quant))</td><td class="v \(r.verdict.rawValue)">\(words(r.verdict))</td><td class="n">\(decode.map { fmt($0) } ?? "unknown")</td><td class="n">\(prefill.map { fmt($0) } ?? "unknown")</td><td class="n">\(gib(r.memory.totalBytes))</td><td>\(escape(r.placement.mode.description))</td><td class="n">\(r.maxContextTokens)</td></tr>
                """
        }.joined(separator: "\n")
        let verdicts = Verdict.allCases.reversed().map {
            "<option value=\"\($0.rawValue)\">\(words($0))</option>"
        }.joined()
        return """
            <section id="ranking">
            <h2>What runs here</h2>
            <p class="controls"><label>Verdict <select id="verdict"><option value="">any</option>\(verdicts)</select></label> <label>Model <input id="search" type="search" placeholder="qwen, llama…"></label> <span id="shown"></span></p>
            <div class="scroll">
            <table id="models">
            <thead><tr><th data-key="model" data-type="text">model</th><th>quant</th><th data-key="rank" data-type="number">verdict</th><th data-key="decode" data-type="number">decode t/s</th><th data-key="prefill" data-type="number">prefill t/s</th><th data-key="memory" data-type="number">memory</th><th>where</th><th data-key="context" data-type="number">max context</th></tr></thead>
            <tbody>
            \(rows)
            </tbody>
            </table>
            </div>
            <p class="note">Click a column to sort it. Decode is at an empty context; prefill is a 512-token prompt.</p>
            </section>
            """
    }

    // MARK: Per model

    static func detailsSection(_ reports: [FitReport], _ extras: [ReportExtras?]) -> String {
        let blocks = reports.enumerated().map { i, r in
            let launch = r.launch["llama.cpp"].map { "<pre><code>llama-server \(escape($0))</code></pre>" } ?? ""
            let more = i < extras.count ? extras[i] : nil
            let charts = [
                memoryChart(r.memory), depthChart(r.speedAtDepth ?? []),
                more.map { ladderChart($0.ladder) } ?? "", more.map { presetChart($0.presets, quant: r.quant) } ?? "",
            ].joined()
            return """
                <details id="m\(i)"\(i == 0 ? " open" : "")><summary>\(escape(r.model)) \(escape(r.quant)): \(words(r.verdict))</summary>
                <div class="charts">\(charts)</div>
                \(launch)
                </details>
                """
        }.joined(separator: "\n")
        return """
            <section id="models-detail">
            <h2>Each model</h2>
            \(blocks)
            </section>
            """
    }

    /// The memory parts as one stacked bar with a legend.
    static func memoryChart(_ memory: FitReport.Memory) -> String {
        let parts: [(String, Int64, String)] = [
            ("weights", memory.weightsBytes, "w"), ("KV cache", memory.kvCacheBytes, "k"),
            ("compute", memory.computeBufferBytes, "c"), ("CPU repack", memory.cpuRepackBytes, "r"),
            ("runtime", memory.runtimeOverheadBytes + memory.backendContextBytes + memory.fitMarginBytes, "o"),
        ].filter { $0.1 > 0 }
        let total = Double(max(parts.reduce(0) { $0 + $1.1 }, 1))
        var x = 0.0
        var rects: [String] = []
        for part in parts {
            let w = 300 * Double(part.1) / total
            rects.append(
                "<rect x=\"\(fmt(x))\" y=\"0\" width=\"\(fmt(w))\" height=\"24\" class=\"\(part.2)\"><title>\(escape(part.0)) \(gib(part.1))</title></rect>"
            )
            x += w
        }
        let legend = parts.map { "<span class=\"key \($0.2)\"></span>\(escape($0.0)) \(gib($0.1))" }.joined(
            separator: " "
        )
        return """
            <figure><svg viewBox="0 0 300 24" role="img" aria-label="memory">\(rects.joined())</svg><figcaption>\(legend), \(gib(memory.totalBytes)) in all</figcaption></figure>
            """
    }

    /// Memory at every quantization of the ladder: one stacked bar each, on one scale.
    static func ladderChart(_ ladder: [FitReport]) -> String {
        guard ladder.count > 1 else { return "" }
        let top = Double(max(ladder.map(\.memory.totalBytes).max() ?? 1, 1))
        var shapes: [String] = []
        for (row, report) in ladder.enumerated() {
            let y = Double(row) * 16
            let m = report.memory
            let parts: [(Int64, String)] = [
                (m.weightsBytes, "w"), (m.kvCacheBytes, "k"), (m.computeBufferBytes, "c"), (m.cpuRepackBytes, "r"),
                (m.runtimeOverheadBytes + m.backendContextBytes + m.fitMarginBytes, "o"),
            ]
            var x = 70.0
            shapes.append("<text x=\"0\" y=\"\(fmt(y + 11))\">\(escape(report.quant))</text>")
            for (bytes, cls) in parts where bytes > 0 {
                let w = 200 * Double(bytes) / top
                shapes.append(
                    "<rect x=\"\(fmt(x))\" y=\"\(fmt(y + 2))\" width=\"\(fmt(w))\" height=\"12\" class=\"\(cls)\"/>"
                )
                x += w
            }
            shapes.append(
                "<text x=\"\(fmt(x + 4))\" y=\"\(fmt(y + 11))\">\(gib(m.totalBytes))\(report.fits ? "" : ", does not fit")</text>"
            )
        }
        return """
            <figure><svg viewBox="0 0 390 \(fmt(Double(ladder.count) * 16 + 2))" role="img" aria-label="memory by quantization">\(shapes.joined())</svg><figcaption>Memory at each quantization, same parts and colours as above.</figcaption></figure>
            """
    }

    /// Decode on each reference machine at `quant` (a bar each, longest the fastest).
    static func presetChart(_ presets: [(name: String, report: FitReport?)], quant: String) -> String {
        guard !presets.isEmpty else { return "" }
        let shown = presets.map { ($0.name, $0.report?.decodeTokensPerS) }
        let top = max(shown.compactMap(\.1).max() ?? 1, 1)
        var shapes: [String] = []
        for (row, (name, decode)) in shown.enumerated() {
            let y = Double(row) * 14
            shapes.append("<text x=\"0\" y=\"\(fmt(y + 10))\">\(escape(name))</text>")
            if let decode {
                let w = max(1, 160 * decode / top)
                shapes.append(
                    "<rect x=\"110\" y=\"\(fmt(y + 2))\" width=\"\(fmt(w))\" height=\"10\" class=\"w\"/><text x=\"\(fmt(114 + w))\" y=\"\(fmt(y + 10))\">\(fmt(decode))</text>"
                )
            } else {
                shapes.append("<text x=\"110\" y=\"\(fmt(y + 10))\">does not fit</text>")
            }
        }
        let column = SpeedMatrix.quants.contains(quant) ? quant : "Q4_K_M"
        return """
            <figure><svg viewBox="0 0 320 \(fmt(Double(shown.count) * 14 + 2))" role="img" aria-label="decode on reference machines">\(shapes.joined())</svg><figcaption>Decode tokens/s at \(escape(column)) on the reference machines (config/presets.toml).</figcaption></figure>
            """
    }

    /// Decode and prefill against context depth, each on its own scale.
    static func depthChart(_ points: [FitReport.DepthSpeed]) -> String {
        let known = points.filter { $0.decodeTokensPerS != nil || $0.prefillTokensPerS != nil }
        guard known.count > 1, let deepest = known.map(\.depthTokens).max(), deepest > 0 else { return "" }
        func line(_ value: KeyPath<FitReport.DepthSpeed, Double?>, _ cls: String) -> String {
            let top = known.compactMap { $0[keyPath: value] }.max() ?? 0
            guard top > 0 else { return "" }
            let coordinates = known.compactMap { p -> String? in
                guard let v = p[keyPath: value] else { return nil }
                return "\(fmt(300 * Double(p.depthTokens) / Double(deepest))),\(fmt(90 - 80 * v / top))"
            }
            return "<polyline points=\"\(coordinates.joined(separator: " "))\" class=\"\(cls)\"/>"
        }
        let rows = known.map { p in
            "\(p.depthTokens): \(p.decodeTokensPerS.map { fmt($0) } ?? "?") / \(p.prefillTokensPerS.map { fmt($0) } ?? "?")"
        }.joined(separator: ", ")
        return """
            <figure><svg viewBox="0 0 300 95" role="img" aria-label="speed against context depth">\(line(\.decodeTokensPerS, "decode"))\(line(\.prefillTokensPerS, "prefill"))</svg><figcaption><span class="key decode"></span>decode <span class="key prefill"></span>prefill tokens/s by depth (each on its own scale): \(escape(rows))</figcaption></figure>
            """
    }

    // MARK: Helpers

    /// `text` safe inside HTML text and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// "runs well", "does not fit".
    static func words(_ verdict: Verdict) -> String { verdict.rawValue.replacingOccurrences(of: "_", with: " ") }

    static func fmt(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        return x >= 100 ? String(Int(x.rounded())) : String(format: "%.1f", x)
    }

    static func gib(_ bytes: Int64) -> String { String(format: "%.1f GiB", Double(bytes) / Double(1 << 30)) }

    static func gbs(_ bytes: Int64) -> String { String(format: "%.1f GB/s", Double(bytes) / 1e9) }

    static let style = """
        :root{color-scheme:light dark;--fg:#1b1f24;--bg:#fff;--muted:#5b6470;--line:#d7dbe0;--w:#3b6fd8;--k:#e08a2c;--c:#7a55c7;--r:#2a9d8f;--o:#9aa3ad}
        @media (prefers-color-scheme:dark){:root{--fg:#e6e8eb;--bg:#15181c;--muted:#9aa3ad;--line:#353b43}}
        body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:0 auto;max-width:1100px;padding:1rem}
        h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.15rem;margin:1.6rem 0 .5rem}.sub,.note,figcaption{color:var(--muted);font-size:.9rem}
        table{border-collapse:collapse;width:100%}th,td{padding:.3rem .5rem;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
        .facts th{width:9rem;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}
        #models th[data-key]{cursor:pointer;text-decoration:underline dotted}#models th[aria-sort=ascending]::after{content:" ▲"}#models th[aria-sort=descending]::after{content:" ▼"}
        .scroll{overflow-x:auto}.v.runs_well{color:#1a7f37}.v.runs{color:#2f6fb0}.v.runs_slowly{color:#b35900}.v.does_not_fit{color:#b3261e}
        .controls label{margin-right:1rem}select,input{font:inherit}
        figure{margin:.6rem 0}svg{width:100%;max-width:420px;height:auto;display:block}
        rect.now{fill:var(--w)}rect.before{fill:var(--o)}line.peak{stroke:var(--k);stroke-dasharray:4 3}svg text{font-size:10px;fill:var(--muted)}
        rect.w,.key.w{fill:var(--w);background:var(--w)}rect.k,.key.k{fill:var(--k);background:var(--k)}rect.c,.key.c{fill:var(--c);background:var(--c)}rect.r,.key.r{fill:var(--r);background:var(--r)}rect.o,.key.o{fill:var(--o);background:var(--o)}
        polyline{fill:none;stroke-width:2}polyline.decode{stroke:var(--w)}polyline.prefill{stroke:var(--k)}.key.decode{background:var(--w)}.key.prefill{background:var(--k)}
        .key{display:inline-block;width:.8em;height:.8em;margin:0 .25em 0 .6em;border-radius:2px}
        details{border-bottom:1px solid var(--line);padding:.4rem 0}summary{cursor:pointer;font-weight:600}.charts{display:flex;flex-wrap:wrap;gap:1.5rem}.charts figure{flex:1 1 300px}
        pre{overflow-x:auto;background:rgba(127,127,127,.12);padding:.5rem;border-radius:4px}
        @media print{.controls,.note{display:none}details{page-break-inside:avoid}details:not([open])>*:not(summary){display:block}}
        @media (max-width:600px){body{padding:.5rem}th,td{padding:.25rem .3rem;font-size:.85rem}}
        """

    /// Sorting by a column (click, or `#sort=KEY` / `#sort=-KEY` in the address), and the
    /// verdict and name filters. Numbers sort high first, names A to Z; "-" reverses.
    static let script = """
        (function(){
        var table=document.getElementById("models");if(!table)return;
        var body=table.tBodies[0],heads=table.tHead.rows[0].cells,verdict=document.getElementById("verdict"),search=document.getElementById("search"),shown=document.getElementById("shown");
        function sort(key,flip){var head=null;for(var i=0;i<heads.length;i++){heads[i].removeAttribute("aria-sort");if(heads[i].dataset.key===key)head=heads[i];}if(!head)return;
        var number=head.dataset.type==="number",rows=Array.prototype.slice.call(body.rows),down=number!==(key==="rank");if(flip)down=!down;
        rows.sort(function(a,b){var x=a.dataset[key],y=b.dataset[key];var c=number?(parseFloat(x)-parseFloat(y)):x.localeCompare(y);return down?-c:c;});
        rows.forEach(function(r){body.appendChild(r);});head.setAttribute("aria-sort",down?"descending":"ascending");}
        function filter(){var v=verdict.value,q=search.value.toLowerCase(),n=0;Array.prototype.forEach.call(body.rows,function(r){var on=(!v||r.dataset.verdict===v)&&(!q||r.dataset.model.toLowerCase().indexOf(q)>=0);r.hidden=!on;if(on)n++;});shown.textContent=n+" of "+body.rows.length+" shown";}
        Array.prototype.forEach.call(heads,function(h){if(h.dataset.key)h.addEventListener("click",function(){sort(h.dataset.key,h.getAttribute("aria-sort")===(h.dataset.type==="number"&&h.dataset.key!=="rank"?"descending":"ascending"));});});
        verdict.addEventListener("change",filter);search.addEventListener("input",filter);
        var m=/sort=(-?)(\\w+)/.exec(location.hash);if(m)sort(m[2],m[1]==="-");
        var f=/verdict=(\\w+)/.exec(location.hash);if(f){verdict.value=f[1];}filter();
        })();
        """
}

import CanrunClient
import CanrunCore
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The report page as a person sees it (issue 16 §1): headless Chromium (Debian's; CI installs it
/// and sets CANRUN_REQUIRE_CHROMIUM=1) loads it from canrund's loopback TCP listener, runs its
/// script without a console message, shows the ranked rows, and sorts them by the column asked
/// in the address. Screenshots at 1280×800 and at phone width go to .build/report-screenshots/.
struct ReportPageBrowserTests {
    static let chromium = "/usr/bin/chromium"
    static var runnable: Bool {
        ServerFixtures.canrundBuilt
            && (FileManager.default.isExecutableFile(atPath: chromium)
                || ProcessInfo.processInfo.environment["CANRUN_REQUIRE_CHROMIUM"] == "1")
    }

    /// A loopback port nothing listens on now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        try #require(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Chromium's answer for `url`: the DOM after the page's script ran (or a screenshot), and
    /// what it logged.
    static func chromium(_ arguments: [String], _ url: String) throws -> (dom: String, log: String) {
        let run = try ServerFixtures.run(
            chromium,
            ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--enable-logging=stderr", "--v=0"]
                + arguments + [url],
            input: ""
        )
        #expect(run.status == 0, "\(run.errors)")
        return (run.output, run.errors)
    }

    /// The `data-KEY` values of the table's rows, in the DOM's order.
    static func column(_ dom: String, _ key: String) -> [String] {
        dom.components(separatedBy: "<tr data-verdict=").dropFirst().compactMap { row in
            guard let start = row.range(of: "data-\(key)=\"") else { return nil }
            return String(row[start.upperBound...].prefix { $0 != "\"" })
        }
    }

    @Test(.enabled(if: runnable), .timeLimit(.minutes(3)))
    func chromiumShowsAndSortsTheTable() throws {
        let port = try Self.freePort()
        try DaemonCalibrationTests.withDaemon(config: "[server]\ntcp = \"127.0.0.1:\(port)\"\n") { folder, client in
            try DaemonCalibrationTests.measured(folder, client)
            let expected = try ProfileJSON.decoder().decode(
                [FitReport].self,
                from: Data(try #require(client.get("/v1/recommendations")).body)
            )
            #expect(expected.count > 5)
            let page = "http://127.0.0.1:\(port)/"
            let byDecode = try Self.chromium(["--virtual-time-budget=3000", "--dump-dom"], page + "#sort=decode")
            // No script error, nor anything else said on the console.
            #expect(!byDecode.log.contains("CONSOLE"), "\(byDecode.log)")
            #expect(!byDecode.log.contains("Uncaught"), "\(byDecode.log)")
            let models = Self.column(byDecode.dom, "model")
            #expect(Set(models) == Set(expected.map(\.model)), "\(models)")
            #expect(byDecode.dom.contains("\(expected.count) of \(expected.count) shown"))
            let decode = Self.column(byDecode.dom, "decode").compactMap(Double.init)
            #expect(decode.count == expected.count)
            #expect(decode == decode.sorted(by: >), "\(decode)")
            #expect(byDecode.dom.contains("aria-sort=\"descending\""))

            let byName = try Self.chromium(["--virtual-time-budget=3000", "--dump-dom"], page + "#sort=model")
            let names = Self.column(byName.dom, "model")
            #expect(names == names.sorted { $0.localizedCompare($1) == .orderedAscending }, "\(names)")
            let slowFirst = try Self.chromium(["--virtual-time-budget=3000", "--dump-dom"], page + "#sort=-decode")
            #expect(Self.column(slowFirst.dom, "decode").compactMap(Double.init) == decode.reversed())

            let shots = ServerFixtures.repository + "/.build/report-screenshots"
            try FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true)
            for (name, size) in [("desktop-1280x800", "1280,800"), ("phone-390x844", "390,844")] {
                let file = "\(shots)/\(name).png"
                try? FileManager.default.removeItem(atPath: file)
                _ = try Self.chromium(["--window-size=\(size)", "--screenshot=\(file)"], page)
                let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
                #expect(bytes > 10_000, "\(file): \(bytes) bytes")
            }
        }
    }
}

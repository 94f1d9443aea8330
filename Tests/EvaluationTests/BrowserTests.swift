import Foundation
import Testing
import TestSupport
@testable import Evaluation

/// The HTML reports opened in a real browser: Debian's Chromium, headless, loads the
/// page from disk; an inline script run after the load event records on <body> how
/// many images decoded (naturalWidth > 0) and how many tables rendered, and
/// `--dump-dom` prints the resulting DOM. `make test` installs chromium and sets
/// ROMA_REQUIRE_BROWSER=1, so there the test fails rather than skips without it.
@Suite("Reports in a browser", .enabled(if: Browser.path != nil || Browser.required, "needs chromium (apt-get install chromium)"))
struct BrowserTests {
    @Test("the comparison and single-run reports load every image and table in headless Chromium")
    func reportsLoad() throws {
        let browser = try #require(Browser.path, "ROMA_REQUIRE_BROWSER is set but chromium is not installed")
        let compared = try ComparedSmallRuns.make(label: "browser")
        let comparison = try ComparisonRenderer.render(ComparisonInputs(results: compared.results, output: compared.folder + "/compare",
                                                                        resamples: 200, pictures: 1))
        let single = try ReportRenderer.render(ReportInputs(results: compared.results[0], manifest: compared.folder + "/ransac/pairs.json",
                                                            poses: compared.folder + "/ransac", matches: compared.folder + "/matches",
                                                            output: compared.folder + "/single", picturesPerEnd: 1))
        for page in [comparison.html, single.html] {
            let html = try String(contentsOfFile: page, encoding: .utf8)
            let images = html.components(separatedBy: "<img ").count - 1, tables = html.components(separatedBy: "<table>").count - 1
            #expect(images >= 2 && tables >= 2, "\(page)")
            let state = try Browser.load(page, browser: browser)
            #expect(state["images"] == images && state["loaded"] == images, "\(page): \(state)")
            #expect(state["tables"] == tables && (state["rows"] ?? 0) > tables, "\(page): \(state)")
        }
        // The check can fail: a page with a missing picture reports one image not loaded.
        let broken = compared.folder + "/compare/broken.html"
        try String(contentsOfFile: comparison.html, encoding: .utf8)
            .replacingOccurrences(of: "src=\"curves.png\"", with: "src=\"absent.png\"").write(toFile: broken, atomically: true, encoding: .utf8)
        let state = try Browser.load(broken, browser: browser)
        #expect(state["loaded"] == (state["images"] ?? 0) - 1, "\(state)")
    }
}

enum Browser {
    static let required = ProcessInfo.processInfo.environment["ROMA_REQUIRE_BROWSER"] == "1"
    static let path: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Counts the loaded page reports: images, loaded (decoded, naturalWidth > 0), tables, rows.
    static func load(_ page: String, browser: String) throws -> [String: Int] {
        let folder = (page as NSString).deletingLastPathComponent
        let probe = folder + "/.probe-" + (page as NSString).lastPathComponent
        let script = """
        <script>window.addEventListener('load', function () {
          var images = document.images, loaded = 0;
          for (var i = 0; i < images.length; i++) { if (images[i].complete && images[i].naturalWidth > 0) loaded++; }
          var b = document.body;
          b.setAttribute('data-probe-images', images.length); b.setAttribute('data-probe-loaded', loaded);
          b.setAttribute('data-probe-tables', document.querySelectorAll('table').length);
          b.setAttribute('data-probe-rows', document.querySelectorAll('tr').length);
        });</script>
        """
        let html = try String(contentsOfFile: page, encoding: .utf8)
        try html.replacingOccurrences(of: "</body>", with: script + "</body>").write(toFile: probe, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: probe) }
        let profile = TestPaths.scratch("chromium-profile")
        defer { try? FileManager.default.removeItem(atPath: profile) }
        let run = try Subprocess.run(browser, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                               "--virtual-time-budget=10000", "--dump-dom", URL(fileURLWithPath: probe).absoluteString])
        guard run.status == 0 else { throw BrowserFailed(description: "chromium exited \(run.status): \(run.stderr.suffix(600))") }
        var state: [String: Int] = [:]
        for key in ["images", "loaded", "tables", "rows"] {
            if let range = run.stdout.range(of: #"data-probe-\#(key)="[0-9]+""#, options: .regularExpression) {
                state[key] = Int(run.stdout[range].split(separator: "\"")[1])
            }
        }
        return state
    }

    struct BrowserFailed: Error, CustomStringConvertible { let description: String }
}

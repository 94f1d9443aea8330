import Artifacts

/// A report built once and written as both Markdown and HTML, so the two never differ.
struct ReportDocument {
    private enum Block {
        case heading(String)
        case paragraph(String)
        case table([String], [[String]])
        case image(String, String)
        case list([String])
    }

    let title: String
    private var blocks: [Block] = []

    init(title: String) { self.title = title }

    mutating func heading(_ text: String) { blocks.append(.heading(text)) }
    mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }
    mutating func table(_ header: [String], _ rows: [[String]]) { blocks.append(.table(header, rows)) }
    mutating func image(_ path: String, alt: String) { blocks.append(.image(path, alt)) }
    mutating func list(_ items: [String]) { blocks.append(.list(items)) }

    var markdown: String {
        var out = "# \(title)\n"
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        for block in blocks {
            switch block {
            case .heading(let t): out += "\n## \(t)\n"
            case .paragraph(let t): out += "\n\(t)\n"
            case let .table(header, rows):
                out += "\n| " + header.map(cell).joined(separator: " | ") + " |\n"
                out += "|" + header.map { _ in " --- |" }.joined() + "\n"
                for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
            case let .image(path, alt): out += "\n![\(alt)](\(path))\n"
            case .list(let items): out += "\n" + items.map { "- \($0)\n" }.joined()
            }
        }
        return out
    }

    var html: String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        // Inline `code` spans, the only Markdown markup the report uses in text.
        func inline(_ s: String) -> String {
            let parts = esc(s).split(separator: "`", omittingEmptySubsequences: false)
            return parts.enumerated().map { $0.offset % 2 == 1 ? "<code>\($0.element)</code>" : String($0.element) }.joined()
        }
        var out = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>\(esc(title))</title>
        <style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
        table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
        td:first-child,th:first-child{text-align:left}img{max-width:100%;display:block;margin:1em 0}code{font-size:90%}</style>
        </head><body>
        <h1>\(esc(title))</h1>

        """
        for block in blocks {
            switch block {
            case .heading(let t): out += "<h2>\(inline(t))</h2>\n"
            case .paragraph(let t): out += "<p>\(inline(t))</p>\n"
            case let .table(header, rows):
                out += "<table><tr>" + header.map { "<th>\(inline($0))</th>" }.joined() + "</tr>\n"
                for row in rows { out += "<tr>" + row.map { "<td>\(inline($0))</td>" }.joined() + "</tr>\n" }
                out += "</table>\n"
            case let .image(path, alt): out += "<img src=\"\(esc(path))\" alt=\"\(esc(alt))\">\n"
            case .list(let items): out += "<ul>\n" + items.map { "<li>\(inline($0))</li>\n" }.joined() + "</ul>\n"
            }
        }
        return out + "</body></html>\n"
    }

    /// Writes `report.md` and `index.html` into `folder`, atomically; returns their paths.
    func write(into folder: String) throws -> (markdown: String, html: String) {
        let paths = (markdown: folder + "/report.md", html: folder + "/index.html")
        try AtomicFile.write(markdown, to: paths.markdown)
        try AtomicFile.write(html, to: paths.html)
        return paths
    }
}

import Artifacts
import Foundation
import Testing
import TestSupport
@testable import Evaluation

@Suite("Synthetic multi-view set")
struct MultiViewTests {
    @Test("`synth --views 4`: every pair listed with the poses of views.txt, and every two views overlap")
    func views() throws {
        var options = Synthetic.Options()
        options.width = 96
        options.height = 72
        options.warpSize = 32
        let folder = TestPaths.scratch("views")
        let views = try MultiView.generate(into: folder, views: 4, options: options)
        let records = try PairList.read(folder + "/pairs.txt")
        #expect(records.map(\.id) == ["00-01", "00-02", "00-03", "01-02", "01-03", "02-03"])
        let lines = try String(contentsOfFile: folder + "/views.txt", encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(lines.count == 4)
        let fields = lines[2].split(separator: " ")
        #expect(fields[0] == "view_02.png" && fields.dropFirst().compactMap { Double($0) }
            == [views[2].camera.focal, views[2].camera.focal, 48, 36] + views[2].camera.rotation + views[2].camera.translation)
        for record in records {
            let i = Int(record.id.prefix(2))!, j = Int(record.id.suffix(2))!
            #expect(record.imageA == views[i].name && record.imageB == views[j].name)
            let (R, t) = views[i].camera.relativePose(to: views[j].camera)
            #expect(R == record.rotation && t == record.translation)
            // Overlap: a good share of A's cells are seen in B (the widest pair spans ≤ 27°).
            let warp = try Warp(Artifact.read("\(folder)/\(record.id).warp.safetensors", expecting: .warp))
            let visible = Double(warp.certaintyAB.filter { $0 > 0 }.count) / Double(warp.certaintyAB.count)
            #expect(visible > 0.4, "pair \(record.id): \(visible) of A visible in B")
        }
        let centres = views.map(\.center)
        #expect(Set(centres.map { "\($0)" }).count == 4, "distinct camera centres")
    }
}

import Artifacts
import Foundation
import Testing
@testable import Checkpoint
import TestSupport

/// The weights cache without the network: `file://` URLs through the real curl
/// downloader, a closed local port for the offline case, and a stub downloader
/// for content that is not what it claims to be.
@Suite struct WeightsCacheTests {
    /// The fixture checkpoint, described as a cache file with its own layout.
    static func fixtureFile(name: String = "tiny.pth", url: String? = nil) throws -> WeightFile {
        let dict = try StateDict.load(Fixtures.path("state_dict.pt"))
        let layout = Dictionary(uniqueKeysWithValues: dict.keys.map { ($0, dict.info($0)!.shape) })
        return WeightFile(name: name, url: url ?? "file://" + Fixtures.path("state_dict.pt"), expectedLayout: layout,
                          integerKeys: StateDictTests.integerKeys(dict))
    }

    /// Writes a fixed file whatever the URL: stands in for a server.
    struct StubDownloader: Downloader {
        let source: String
        func download(_ url: String, to destination: String) throws {
            try? FileManager.default.removeItem(atPath: destination)
            try FileManager.default.copyItem(atPath: source, toPath: destination)
        }
    }

    @Test func downloadsVerifiesAndRecords() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache") + "/weights")
        let file = try Self.fixtureFile()
        let first = try cache.fetch([file], downloader: CurlDownloader(showProgress: false))
        #expect(first.map(\.action) == ["downloaded"])
        let digest = try SHA256.hex(ofFile: Fixtures.path("state_dict.pt"))
        let entry = try #require(first.first?.entry)
        #expect(entry.sha256 == digest)
        #expect(entry.tensors == 21)
        #expect(entry.origin == "downloaded")
        #expect(try WeightsManifest.read(folder: cache.folder).files[file.name] == entry)
        // Only the final file and the manifest remain: the temporary file was renamed.
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.folder).sorted() == ["manifest.json", "tiny.pth"])

        #expect(try cache.fetch([file], downloader: CurlDownloader(showProgress: false)).map(\.action) == ["present"])
        #expect(try cache.check([file]).map(\.action) == ["verified"])
    }

    @Test func abandonedDownloadsAreCleanedUp() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache"))
        let file = try Self.fixtureFile()
        // A leftover of a process that cannot exist (beyond Linux's pid maximum), and
        // one of a live process (our parent), which may still be downloading.
        let dead = cache.folder + "/.tiny.pth.part-99999999"
        let alive = cache.folder + "/.tiny.pth.part-\(getppid())"
        for path in [dead, alive] { #expect(FileManager.default.createFile(atPath: path, contents: Data([1, 2, 3]))) }
        _ = try cache.fetch([file], downloader: StubDownloader(source: Fixtures.path("state_dict.pt")))
        #expect(!FileManager.default.fileExists(atPath: dead))
        #expect(FileManager.default.fileExists(atPath: alive))
    }

    @Test func changedFilesAreCaught() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache"))
        let file = try Self.fixtureFile()
        _ = try cache.fetch([file], downloader: StubDownloader(source: Fixtures.path("state_dict.pt")))
        // Same size, different bytes: only the SHA-256 can tell.
        try FileManager.default.removeItem(atPath: cache.path(of: file))
        try FileManager.default.copyItem(atPath: Fixtures.path("corrupt_crc.pt"), toPath: cache.path(of: file))
        #expect(try cache.fetch([file], downloader: StubDownloader(source: "/nonexistent")).map(\.action) == ["present"])
        // The full check reads every storage, so the flipped byte fails its CRC-32 first.
        #expect(Fixtures.message { _ = try cache.check([file]) }?.contains("fails its CRC-32 check") == true)
        // A file whose bytes are all sound but not the recorded ones: only the SHA-256 tells.
        try FileManager.default.removeItem(atPath: cache.path(of: file))
        try FileManager.default.copyItem(atPath: Fixtures.path("state_dict.pt"), toPath: cache.path(of: file))
        var manifest = try WeightsManifest.read(folder: cache.folder)
        manifest.files[file.name]?.sha256 = String(repeating: "0", count: 64)
        try manifest.write(folder: cache.folder)
        #expect(Fixtures.message { _ = try cache.check([file]) }?.contains("differs from \(String(repeating: "0", count: 64))") == true)
        // A different size is caught without hashing.
        try FileManager.default.removeItem(atPath: cache.path(of: file))
        try FileManager.default.copyItem(atPath: Fixtures.path("state_dict_p4.pt"), toPath: cache.path(of: file))
        #expect(Fixtures.message { _ = try cache.verify(file, hashing: false) }?.contains("bytes but was") == true)
    }

    @Test func filesPlacedByHandAreRecordedOnCheck() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache"))
        let file = try Self.fixtureFile()
        try FileManager.default.copyItem(atPath: Fixtures.path("state_dict.pt"), toPath: cache.path(of: file))
        let status = try #require(try cache.check([file]).first)
        #expect(status.action == "recorded")
        #expect(status.entry?.origin == "found in cache")
        #expect(try cache.check([file]).first?.action == "verified")
    }

    @Test func wrongContentIsRejectedAndNotKept() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache"))
        let file = try Self.fixtureFile(url: "https://example.invalid/tiny.pth")
        let message = Fixtures.message { _ = try cache.fetch([file], downloader: StubDownloader(source: Fixtures.path("wrapped.pt"))) }
        #expect(message?.hasPrefix("https://example.invalid/tiny.pth: the downloaded file is not the expected checkpoint") == true, "\(message ?? "")")
        #expect(message?.contains("missing keys") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.folder).isEmpty)
    }

    @Test func offlineSaysWhichFilesGoWhere() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache"))
        // Port 9 (discard) on localhost is closed: curl fails to connect at once.
        let files = [try Self.fixtureFile(name: "a.pth", url: "http://127.0.0.1:9/a.pth"),
                     try Self.fixtureFile(name: "b.pth", url: "http://127.0.0.1:9/b.pth")]
        do {
            _ = try cache.fetch(files, downloader: CurlDownloader(showProgress: false))
            Issue.record("fetch succeeded offline")
        } catch let error as WeightsUnavailable {
            #expect(error.missing.map(\.name) == ["a.pth", "b.pth"])
            #expect(error.cause?.unreachable == true)
            let text = error.description
            #expect(text.contains("Put these files into \(cache.folder)"))
            #expect(text.contains("a.pth  from http://127.0.0.1:9/a.pth"))
            #expect(text.contains("b.pth  from http://127.0.0.1:9/b.pth"))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache.folder).isEmpty)
    }

    @Test func missingOfficialFileSaysHowToGetIt() throws {
        let cache = WeightsCache(folder: TestPaths.scratch("ckpt-cache"))
        let message = Fixtures.message { _ = try cache.path(for: .outdoor) }
        #expect(message?.contains("roma_outdoor.pth  from https://github.com/Parskatt/storage/releases/download/roma/roma_outdoor.pth") == true)
        #expect(message?.contains(cache.folder) == true)
    }

    @Test func defaultFolderFollowsTheEnvironment() {
        #expect(WeightsCache.defaultFolder(environment: ["ROMA_WEIGHTS": "/w", "HOME": "/h"]) == "/w")
        #expect(WeightsCache.defaultFolder(environment: ["HOME": "/h"]) == "/h/.cache/roma-swift")
        #expect(WeightsCache(folder: "/x", environment: ["ROMA_WEIGHTS": "/w"]).folder == "/x")
    }

    @Test(.enabled(if: TestPaths.romaExecutable != nil, "needs the built roma executable"))
    func commandWithoutFilesFailsWithInstructions() throws {
        let folder = TestPaths.scratch("ckpt-cli")
        // --check never touches the network.
        let run = try RomaCLI.run(["weights", "--check", "--cache", folder, "--only", "dinov2"])
        let text = run.stderr
        #expect(run.status != 0)
        #expect(text.contains("dinov2_vitl14_pretrain.pth  from https://dl.fbaipublicfiles.com/dinov2/dinov2_vitl14/dinov2_vitl14_pretrain.pth"))
        #expect(text.contains(folder))
    }
}

/// The official layouts, parsed from the generated table.
@Suite struct OfficialLayoutTests {
    @Test func tablesExpandToTheReferenceCounts() {
        // Counts and element totals printed by the generator from romatch's model state dicts.
        let roma = OfficialWeights.outdoor.expectedLayout
        #expect(roma.count == 603)
        #expect(roma.values.map { $0.reduce(1, *) }.reduce(0, +) == 111_356_534)
        let dinov2 = OfficialWeights.dinov2.expectedLayout
        #expect(dinov2.count == 343)
        #expect(dinov2.values.map { $0.reduce(1, *) }.reduce(0, +) == 304_368_640)
        #expect(dinov2["blocks.23.mlp.fc1.weight"] == [4096, 1024])
        #expect(dinov2["pos_embed"] == [1, 1370, 1024])
        #expect(roma["encoder.cnn.layers.1.num_batches_tracked"] == [])
        #expect(OfficialWeights.indoor.expectedLayout == roma)
    }

    @Test func patternsExpandEveryRange() throws {
        #expect(try LayoutTable.expand("a.{0..1}.b.{2..3}") == ["a.0.b.2", "a.0.b.3", "a.1.b.2", "a.1.b.3"])
        #expect(try LayoutTable.parse("x.{1..2} 3x4\ny -") == ["x.1": [3, 4], "x.2": [3, 4], "y": []])
        #expect(throws: LayoutTable.Malformed.self) { try LayoutTable.parse("x.{2..1} 3") }
    }
}

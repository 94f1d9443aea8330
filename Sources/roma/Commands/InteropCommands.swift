import ArgumentParser
import Artifacts
import Evaluation
import Foundation
import Interop

/// `roma import hloc`: matches from hloc's HDF5 files into `roma.matches/1` artifacts.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Bring matches made elsewhere into the pipeline (hloc's features.h5 / matches.h5).",
        subcommands: [ImportHloc.self]
    )
}

struct ImportHloc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hloc",
        abstract: "Turn hloc's matches (sparse or dense layout) into one roma.matches/1 artifact per pair.",
        discussion: """
        Reads each pair of --pairs from --matches: sparse (matches0 / matching_scores0 \
        indexing the images' keypoints in --features) or dense (keypoints0 / keypoints1 / \
        scores), the pair stored in either order, under hloc's current or old group \
        names. Keypoints move by +0.5 px from hloc's convention (top-left pixel centre at \
        0, 0) to ours (0.5, 0.5). Writes DIR/<pair id>.matches.safetensors for every \
        pair, or nothing when any pair is missing or malformed. See docs/interop.md.
        """
    )

    @Option(help: "hloc features file (per image `keypoints`); needed for the sparse layout.")
    var features: String?

    @Option(help: "hloc matches file.")
    var matches: String

    @Option(help: "The pairs: a manifest (pairs.json), our pair list, or hloc's `name0 name1` pair file; names are paths relative to the image folder.")
    var pairs: String

    @Option(name: .shortAndLong, help: "Output folder for <pair id>.matches.safetensors.")
    var output: String

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        let list = try InteropPairs.read(pairs)
        let imported = try Hloc.importMatches(list, features: features, matches: matches, into: output)
        if !quiet {
            let total = imported.reduce(0) { $0 + $1.count }
            let layouts = Set(imported.map(\.found.layout.rawValue)).sorted().joined(separator: ", ")
            print("import hloc: \(imported.count) pairs (\(layouts)), \(total) matches → \(output)")
        }
    }
}

/// `roma export colmap|hloc`: a run's matches on shared keypoints, for reconstruction.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write a run's matches (and pose estimates) as a COLMAP database or hloc files.",
        subcommands: [ExportColmap.self, ExportHloc.self]
    )
}

struct ExportInputs: ParsableArguments {
    @Option(help: "The pairs: a manifest (pairs.json), our pair list, or hloc's `name0 name1` pair file.")
    var pairs: String

    @Option(help: "Folder holding <pair id>.matches.safetensors (e.g. a run's r0 folder).")
    var matches: String

    @Option(help: "Image folder the pair list's names are relative to (default: the pair list's folder or the manifest's root).")
    var images: String?

    @Option(help: "Keypoint merging cell in pixels: keypoints snap to the centre of their cell and merge within it (moving ≤ cell/2 per axis); 0 keeps every pair's keypoints apart, unmoved.")
    var cell: Double = 1

    func validate() throws {
        guard cell >= 0, cell.isFinite, cell <= 64 else { throw ValidationError("--cell must be in 0…64 pixels") }
    }
}

struct ExportColmap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "colmap",
        abstract: "Write images, cameras, merged keypoints, matches and two-view geometries into a COLMAP database.",
        discussion: """
        Cameras are PINHOLE from the pair list's intrinsics; without them (hloc pair \
        files), SIMPLE_RADIAL with f = 1.2 · max(W, H) at the image centre, COLMAP's own \
        default guess, flagged as no focal prior. With --poses, each pair's estimate \
        becomes its two-view geometry (E or F and the inlier matches) so COLMAP's \
        mapper can run without its own verification. The database is written to a \
        temporary file and renamed; an existing database holding other images is \
        refused. See docs/interop.md.
        """
    )

    @OptionGroup var inputs: ExportInputs

    @Option(help: "Folder holding <pair id>.pose.safetensors (e.g. a run's estimate r0 folder).")
    var poses: String?

    @Option(name: .shortAndLong, help: "Output database (database.db).")
    var output: String

    func run() throws {
        let list = try InteropPairs.read(inputs.pairs, imageRoot: inputs.images)
        let sizes = try list.imageSizes()
        let merged = try MergedMatches.load(list, matchesFolder: inputs.matches, posesFolder: poses, cellSize: inputs.cell)
        let s = try Colmap.export(merged, sizes: sizes, to: output)
        print("export colmap: \(s.images) images, \(s.keypoints) keypoints, \(s.matches) matches, \(s.geometries) two-view geometries"
              + (s.guessedCameras > 0 ? ", \(s.guessedCameras) cameras guessed (SIMPLE_RADIAL, f = 1.2·max(W, H))" : "") + " → \(output)")
    }
}

struct ExportHloc: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hloc",
        abstract: "Write merged keypoints and matches in hloc's sparse layout (features.h5, matches.h5).",
        discussion: """
        Writes DIR/features.h5 (per image `keypoints`) and DIR/matches.h5 (per pair \
        `matches0`, `matching_scores0`). Keypoints move by −0.5 px to hloc's convention \
        (top-left pixel centre at 0, 0). Both files are written under temporary names \
        and renamed when complete.
        """
    )

    @OptionGroup var inputs: ExportInputs

    @Option(name: .shortAndLong, help: "Output folder for features.h5 and matches.h5.")
    var output: String

    func run() throws {
        let list = try InteropPairs.read(inputs.pairs, imageRoot: inputs.images)
        let merged = try MergedMatches.load(list, matchesFolder: inputs.matches, posesFolder: nil, cellSize: inputs.cell)
        let (features, matches) = (output + "/features.h5", output + "/matches.h5")
        try Hloc.export(merged, features: features, matches: matches)
        let keypoints = merged.keypoints.values.reduce(0) { $0 + $1.count / 2 }
        let count = merged.merged.reduce(0) { $0 + $1.matches.count }
        print("export hloc: \(merged.keypoints.count) images, \(keypoints) keypoints, \(count) matches → \(features), \(matches)")
    }
}

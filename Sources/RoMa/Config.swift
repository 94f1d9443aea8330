import NN

/// Layer widths of a RoMa model. `official` is romatch 0.1.2's `roma_model`
/// (shared by `roma_outdoor` and `roma_indoor`, which differ only in weights);
/// the tests build a narrow one to compare against a reduced reference.
public struct RoMaArchitecture: Sendable, Equatable {
    public struct ViT: Sendable, Equatable {
        public var embedDim: Int, depth: Int, heads: Int, patch: Int
        /// Side of the positional-embedding grid the weights were trained at (518 / 14 = 37).
        public var positionGrid: Int
        public init(embedDim: Int, depth: Int, heads: Int, patch: Int = 14, positionGrid: Int = 37) {
            (self.embedDim, self.depth, self.heads, self.patch, self.positionGrid) = (embedDim, depth, heads, patch, positionGrid)
        }
    }

    public struct Refiner: Sendable, Equatable {
        /// Input width (= hidden width: the refiners' convolutions are depthwise).
        public var width: Int
        public var displacementDim: Int
        /// Local-correlation radius, nil for none.
        public var corrRadius: Int?
        public init(width: Int, displacementDim: Int, corrRadius: Int?) {
            (self.width, self.displacementDim, self.corrRadius) = (width, displacementDim, corrRadius)
        }
    }

    public var vit: ViT
    /// Output widths of VGG19-BN's four blocks (strides 1, 2, 4, 8).
    public var vggWidths: [Int]
    /// Per scale (16, 8, 4, 2, 1): 1×1 projection input and output widths.
    public var projections: [Int: (Int, Int)]
    public var gpDim: Int
    public var decoderBlocks: Int, decoderHeads: Int
    /// Side of the anchor grid the match decoder classifies over (64 → 4096 anchors).
    public var anchorGrid: Int
    public var refiners: [Int: Refiner]
    public var refinerHiddenBlocks: Int, refinerKernel: Int

    public init(vit: ViT, vggWidths: [Int], projections: [Int: (Int, Int)], gpDim: Int, decoderBlocks: Int, decoderHeads: Int,
                anchorGrid: Int, refiners: [Int: Refiner], refinerHiddenBlocks: Int, refinerKernel: Int) {
        self.vit = vit
        self.vggWidths = vggWidths
        self.projections = projections
        self.gpDim = gpDim
        self.decoderBlocks = decoderBlocks
        self.decoderHeads = decoderHeads
        self.anchorGrid = anchorGrid
        self.refiners = refiners
        self.refinerHiddenBlocks = refinerHiddenBlocks
        self.refinerKernel = refinerKernel
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.vit == b.vit && a.vggWidths == b.vggWidths && a.gpDim == b.gpDim && a.decoderBlocks == b.decoderBlocks
            && a.decoderHeads == b.decoderHeads && a.anchorGrid == b.anchorGrid && a.refiners == b.refiners
            && a.refinerHiddenBlocks == b.refinerHiddenBlocks && a.refinerKernel == b.refinerKernel
            && a.projections.keys.sorted() == b.projections.keys.sorted()
            && a.projections.allSatisfy { k, v in b.projections[k].map { $0 == v } ?? false }
    }

    /// Decoder token width: GP posterior and projected coarse features side by side.
    public var decoderDim: Int { gpDim + projections[16]!.1 }

    /// romatch 0.1.2 `roma_model`: ViT-L/14, VGG19-BN, 512-d GP, 5×1024 decoder, refiners 16…1.
    public static let official = RoMaArchitecture(
        vit: ViT(embedDim: 1024, depth: 24, heads: 16),
        vggWidths: [64, 128, 256, 512],
        projections: [16: (1024, 512), 8: (512, 512), 4: (256, 256), 2: (128, 64), 1: (64, 9)],
        gpDim: 512, decoderBlocks: 5, decoderHeads: 8, anchorGrid: 64,
        refiners: [
            16: Refiner(width: 2 * 512 + 128 + 15 * 15, displacementDim: 128, corrRadius: 7),
            8: Refiner(width: 2 * 512 + 64 + 7 * 7, displacementDim: 64, corrRadius: 3),
            4: Refiner(width: 2 * 256 + 32 + 5 * 5, displacementDim: 32, corrRadius: 2),
            2: Refiner(width: 2 * 64 + 16, displacementDim: 16, corrRadius: nil),
            1: Refiner(width: 2 * 9 + 6, displacementDim: 6, corrRadius: nil),
        ],
        refinerHiddenBlocks: 8, refinerKernel: 5)
}

/// How a pair is matched (romatch's `roma_outdoor(...)` / `roma_indoor(...)` arguments).
public struct RoMaConfig: Sendable, Equatable {
    public var architecture: RoMaArchitecture
    /// Coarse pass input size (height, width), multiples of 14 (default 560×560).
    public var coarseResolution: (height: Int, width: Int)
    /// Upsampled pass input size (default 864×864), multiples of 8.
    public var upsampleResolution: (height: Int, width: Int)
    /// Refine at `upsampleResolution` after the coarse pass.
    public var upsample: Bool
    /// Match A→B and B→A (the Warp artifact carries both).
    public var symmetric: Bool
    /// Lower the final certainty where the coarse (stride 16) certainty is negative.
    public var attenuateCertainty: Bool
    /// `.bf16` runs DINOv2's linears and attention products and the encoders', projections'
    /// and refiners' convolutions as torch's CPU autocast to bfloat16 (docs/runtime.md).
    public var precision: Precision = .fp32

    public init(architecture: RoMaArchitecture = .official, coarseResolution: (height: Int, width: Int) = (560, 560),
                upsampleResolution: (height: Int, width: Int) = (864, 864), upsample: Bool = true,
                symmetric: Bool = true, attenuateCertainty: Bool = true) {
        self.architecture = architecture
        self.coarseResolution = coarseResolution
        self.upsampleResolution = upsampleResolution
        self.upsample = upsample
        self.symmetric = symmetric
        self.attenuateCertainty = attenuateCertainty
    }

    /// `roma_outdoor` defaults. `roma_indoor` has the same configuration and other weights.
    public static let outdoor = RoMaConfig()
    public static let indoor = RoMaConfig()

    /// Output grid of the warp.
    public var outputResolution: (height: Int, width: Int) { upsample ? upsampleResolution : coarseResolution }

    public static func == (a: Self, b: Self) -> Bool {
        a.architecture == b.architecture && a.coarseResolution == b.coarseResolution
            && a.upsampleResolution == b.upsampleResolution && a.upsample == b.upsample
            && a.symmetric == b.symmetric && a.attenuateCertainty == b.attenuateCertainty && a.precision == b.precision
    }

    /// Checks sizes the network cannot take, with a message saying why.
    public func validate() throws {
        let (h, w) = coarseResolution
        guard h > 0, w > 0, h % 14 == 0, w % 14 == 0 else {
            throw RoMaError("coarse resolution \(w)x\(h) must be positive multiples of 14 (the ViT patch size)")
        }
        if upsample {
            let (uh, uw) = upsampleResolution
            guard uh > 0, uw > 0, uh % 8 == 0, uw % 8 == 0 else {
                throw RoMaError("upsample resolution \(uw)x\(uh) must be positive multiples of 8 (VGG's stride)")
            }
        }
    }
}

/// A problem running the model (bad configuration or input).
public struct RoMaError: Error, CustomStringConvertible, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

#!/usr/bin/env python3
"""Full-size RoMa reference (romatch==0.1.2, official `roma_model` configuration,
seeded random weights) on the sacre_coeur pair, for parity and speed checks.

  prepare: writes into OUT (default runs/fullsize, not committed)
      roma_random.safetensors     matcher state dict (official key names)
      dinov2_random.safetensors   a random vit_large(...).state_dict()
      A.decoded, B.decoded        roma.decoded/1 inputs: Pillow bicubic 560² and 864²
  run:     loads those files, runs RegressionMatcher.match on CPU (use_custom_corr=False:
           the CUDA `local_corr` extension is not installed; the native path computes
           the same correlation), writes reference.safetensors (warp_ab/ba, certainty_ab/ba
           in the roma.warp/1 layout) and prints match time and peak RSS. With --stages it also
           writes every stage's output (stages.safetensors, or stages_float64.safetensors with
           --float64, in the precision computed; keys in stage_recorders) for
           scripts/reference/stage_errors.py.

Usage: python scripts/reference/full_size_reference.py prepare|run [--out runs/fullsize] [--seed 0] [--threads 2] [--float64] [--stages]
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
from make_roma_fixtures import randomise_batch_norms, to_input  # noqa: E402

import romatch.models.model_zoo.roma_models as roma_models  # noqa: E402
from romatch.models.transformer import vit_large  # noqa: E402
from atomic_save import save_atomic

COARSE, UPSAMPLE = 560, 864
TO = torch.Tensor.to  # the unpatched conversion (promote_to_float64 redirects float32)


def build(dinov2_state, roma_state=None):
    """The official roma_model; with roma_state None, its weights stay as initialised."""
    original = roma_models.RegressionMatcher.load_state_dict
    if roma_state is None:
        roma_models.RegressionMatcher.load_state_dict = lambda self, *a, **k: None
    try:
        model = roma_models.roma_model(resolution=COARSE, upsample_preds=True, device="cpu", weights=roma_state,
                                       dinov2_weights=dinov2_state, use_custom_corr=False, symmetric=True,
                                       upsample_res=UPSAMPLE)
    finally:
        roma_models.RegressionMatcher.load_state_dict = original
    return model.eval()


def random_vit(seed):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed + 1)
    vit = vit_large(img_size=518, patch_size=14, init_values=1.0, ffn_layer="mlp", block_chunks=0).eval()
    with torch.no_grad():
        vit.pos_embed.normal_(0, 0.5, generator=gen)
        vit.cls_token.normal_(0, 0.5, generator=gen)
        for blk in vit.blocks:
            blk.ls1.gamma.uniform_(0.5, 1.5, generator=gen)
            blk.ls2.gamma.uniform_(0.5, 1.5, generator=gen)
            for lin in [blk.attn.qkv, blk.attn.proj, blk.mlp.fc1, blk.mlp.fc2]:
                # Same per-input-feature scale as the reduced fixture (0.15 at width 32).
                lin.weight.normal_(0, 0.85 / lin.in_features ** 0.5, generator=gen)
                lin.bias.normal_(0, 0.05, generator=gen)
        vit.norm.weight.uniform_(0.5, 1.5, generator=gen)
        vit.norm.bias.normal_(0, 0.1, generator=gen)
    return vit


def write_decoded(path, coarse, upsampled, width, height, source):
    meta = {"schema": "roma.decoded/1", "width": str(width), "height": str(height), "source": source,
            "stage": "reference-prepare"}
    save_atomic({"coarse": torch.from_numpy(coarse.copy()), "upsampled": torch.from_numpy(upsampled.copy())}, path, metadata=meta)


def prepare(args):
    os.makedirs(args.out, exist_ok=True)
    vit = random_vit(args.seed)
    dinov2_state = {k: v.contiguous() for k, v in vit.state_dict().items()}
    model = build(dinov2_state)
    gen = torch.Generator().manual_seed(args.seed + 2)
    randomise_batch_norms(model, gen)
    with torch.no_grad():
        # As in the reduced fixture: peaked anchor logits and visible refiner steps.
        model.decoder.embedding_decoder.to_out.weight.mul_(40.0)
        for r in model.decoder.conv_refiner.values():
            r.out_conv.weight.mul_(4.0)
    state = {k: v.contiguous() for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    save_atomic(state, os.path.join(args.out, "roma_random.safetensors"))
    save_atomic(dinov2_state, os.path.join(args.out, "dinov2_random.safetensors"))
    for label in ["A", "B"]:
        src = os.path.join(args.shared, "images", f"sacre_coeur_{label}.jpg")
        im = Image.open(src).convert("RGB")
        c = np.asarray(im.resize((COARSE, COARSE), Image.BICUBIC), dtype=np.uint8)
        u = np.asarray(im.resize((UPSAMPLE, UPSAMPLE), Image.BICUBIC), dtype=np.uint8)
        write_decoded(os.path.join(args.out, f"{label}.decoded"), c, u, im.size[0], im.size[1], src)
    print("prepared", args.out)


def read_decoded(path):
    d = load_file(path)
    return d["coarse"].numpy(), d["upsampled"].numpy()


def promote_to_float64():
    """Makes romatch compute in float64: its code casts to float32 in a few places
    (`.float()`, `.to(torch.float32)`), which are redirected, and new tensors default
    to float64. Only for measuring how far float32 itself is from exact."""
    original_to = TO

    def to(self, *a, **k):
        a = tuple(torch.float64 if x is torch.float32 else x for x in a)
        if k.get("dtype") is torch.float32:
            k["dtype"] = torch.float64
        return original_to(self, *a, **k)

    torch.Tensor.to = to
    torch.Tensor.float = lambda self, *a, **k: original_to(self, torch.float64)
    torch.set_default_dtype(torch.float64)


def stage_recorders(model):
    """Forward hooks that keep each stage's output, batch items split by image (A, B) or by
    direction (ab, ba; the symmetric decoder's batch is [A→B, B→A]). Keys as in
    Sources/RoMa/Matcher/StageDump.swift: dinov2_X, vggS_X (coarse pass), gp_D, logits_D,
    gm_certainty_D, {coarse,fine}_flowS_D / _certaintyS_D (after each scale's refiner)."""
    out, passes = {}, []

    def encoder(_m, _i, pyramid):
        if 16 in pyramid:  # the coarse pass; the upsampled pass has no DINOv2 features
            for i, x in enumerate("ab"):
                out[f"dinov2_{x}"] = pyramid[16][i].detach().clone()
                for s in (1, 2, 4, 8):
                    out[f"vgg{s}_{x}"] = pyramid[s][i].detach().clone()

    def gp(_m, _i, post):
        for i, d in enumerate(["ab", "ba"]):
            out[f"gp_{d}"] = post[i].detach().clone()

    def embedding(_m, _i, res):
        for i, d in enumerate(["ab", "ba"]):
            out[f"logits_{d}"] = res[0][i].detach().clone()
            out[f"gm_certainty_{d}"] = res[1][i].detach().clone()

    def decoder(_m, _i, corresps):
        name = "coarse" if not passes else "fine"
        passes.append(name)
        for s, c in corresps.items():
            for i, d in enumerate(["ab", "ba"]):
                out[f"{name}_flow{s}_{d}"] = c["flow"][i].detach().clone()
                out[f"{name}_certainty{s}_{d}"] = c["certainty"][i].detach().clone()

    hooks = [model.encoder.register_forward_hook(encoder), model.decoder.gps["16"].register_forward_hook(gp),
             model.decoder.embedding_decoder.register_forward_hook(embedding), model.decoder.register_forward_hook(decoder)]
    return hooks, out


def run(args):
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    t0 = time.time()
    dinov2_state = load_file(os.path.join(args.out, "dinov2_random.safetensors"))
    roma_state = load_file(os.path.join(args.out, "roma_random.safetensors"))
    model = build(dinov2_state, roma_state)
    del dinov2_state, roma_state
    if args.float64:
        promote_to_float64()
        model = model.double()
        # DINOv2 sits in a plain list (hidden from DDP), out of reach of .double().
        model.encoder.dinov2_vitl14[0] = model.encoder.dinov2_vitl14[0].double()
        for m in model.modules():
            if hasattr(m, "amp_dtype"):
                m.amp_dtype = torch.float64
    (ac, au), (bc, bu) = read_decoded(os.path.join(args.out, "A.decoded")), read_decoded(os.path.join(args.out, "B.decoded"))
    gaps = []

    def record_gap(_m, _i, out):
        # Top-2 anchor logit gap relative to the largest |logit|, per coarse token: where it is
        # tiny, the argmax (and so the coarse match) hinges on float32 rounding.
        if not gaps:
            top = out[0].topk(2, dim=1).values
            gaps.append((top[:, 0] - top[:, 1]) / out[0].abs().amax(dim=1))

    hook = model.decoder.embedding_decoder.register_forward_hook(record_gap)
    stage_hooks, stages = stage_recorders(model) if args.stages else ([], {})
    t1, c1 = time.time(), time.process_time()
    inputs = [to_input(x) for x in (ac, bc, au, bu)]
    if args.float64:
        inputs = [x.double() for x in inputs]
    warp, cert = model.match(inputs[0], inputs[1], im_A_high_res=inputs[2], im_B_high_res=inputs[3])
    t2, c2 = time.time(), time.process_time()
    hook.remove()
    for h in stage_hooks:
        h.remove()
    w = UPSAMPLE
    out = {
        "warp_ab": warp[0, :, :w, 2:].contiguous(), "warp_ba": warp[0, :, w:, :2].contiguous(),
        "certainty_ab": cert[0, :, :w].contiguous(), "certainty_ba": cert[0, :, w:].contiguous(),
        "anchor_gap_ab": gaps[0][0].contiguous(), "anchor_gap_ba": gaps[0][1].contiguous(),
    }
    save_atomic({k: TO(v, torch.float32) if v.is_floating_point() else v for k, v in out.items()}, os.path.join(args.out, "reference_float64.safetensors" if args.float64 else "reference.safetensors"),
              metadata={"schema": "roma.warp/1", "width_a": "640", "height_a": "480", "width_b": "640", "height_b": "480",
                        "stage": "romatch-reference"})
    if args.stages:
        stages.update({k: v for k, v in out.items() if not k.startswith("anchor_gap")})  # in the computed precision
        name = "stages_float64.safetensors" if args.float64 else "stages.safetensors"
        save_atomic({k: v.contiguous() for k, v in stages.items()}, os.path.join(args.out, name),
                  metadata={"schema": "roma.stages/1", "seed_dir": args.out})
    peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 ** 2
    print(json.dumps({"load_seconds": round(t1 - t0, 2), "match_seconds": round(t2 - t1, 2), "match_cpu_seconds": round(c2 - c1, 2), "peak_rss_gb": round(peak_gb, 3),
                      "threads": args.threads, "torch": torch.__version__}))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("step", choices=["prepare", "run"], help="prepare inputs and weights, or run the reference")
    ap.add_argument("--out", default=os.path.join(ROOT, "runs", "fullsize"), help="working folder")
    ap.add_argument("--shared", default=os.environ.get("ROMA_SHARED", os.path.join(ROOT, "..", "shared")), help="folder with images/")
    ap.add_argument("--seed", type=int, default=0, help="seed of the random weights")
    ap.add_argument("--threads", type=int, default=2, help="torch threads")
    ap.add_argument("--float64", action="store_true",
                    help="run: compute in float64 (writes reference_float64.safetensors), to measure float32's own spread")
    ap.add_argument("--stages", action="store_true", help="run: also write every stage's output (stages*.safetensors)")
    args = ap.parse_args()
    prepare(args) if args.step == "prepare" else run(args)


if __name__ == "__main__":
    main()

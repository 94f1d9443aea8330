#!/usr/bin/env python3
"""romav2's bf16 run of the reduced model (Tests/Fixtures/roma2/model), module by module.

Runs the fixture's reduced RoMaV2 as make_roma2_model_fixtures.py does for its *_bf16 outputs
(descriptor cast to bf16, matcher ViT, DPT head and refiner blocks under bf16 autocast) and
records each module's inputs and outputs, so each of ours can be fed torch's inputs and its own
departure measured in isolation (Tests/RoMaTests/RoMaV2BF16StageTests reads the file):
  forward_{lowA,lowB,highA,highB}     the images RoMaV2.forward receives
  desc{i}_in, desc{i}_out{l}          descriptor call i (0 A, 1 B): image, layer l's features
  matcher_{warp,confidence}_{AB,BA}   the matcher's outputs (its inputs: desc*_out*, forward_low*)
  mv_vit_out                          the matcher ViT's x_norm_patchtokens [1, 2, N, dim] (as float)
  head{i}_in{l}, head{i}_out          DPT head call i (0 AB, 1 BA): its token maps and output
  head{i}_conv1                       its output_conv1 result (before the last resize)
  ref{j}_{f_A,f_B,prev_warp,prev_confidence,scale_factor,warp,confidence}
                                      refiner call j in call order (pass, stride 4/2/1, AB then BA)
  dpt_{project,resize,rn,fusion}{i}   the DPT head's parts in the AB call (level i)
Pass --fp32 to record the fp32 run instead (autocast off everywhere).

--ci writes the subset Tests/RoMaTests/RoMaV2BF16StageTests reads (descriptor, matcher ViT, DPT
head of the AB call; +0.2 MB) to Tests/Fixtures/roma2/model/bf16_stages.safetensors, tensors
holding bf16 values stored as BF16.

Usage: python scripts/reference/romav2_bf16_stages.py [--out /tmp/stages_bf16.safetensors] [--fp32] [--ci]
"""
import argparse
import os
import sys

import numpy as np
import torch
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "fixtures"))
import romav2_env  # noqa: E402
from make_roma2_model_fixtures import with_bf16_autocast  # noqa: E402
from atomic_save import save_atomic


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixture", default=os.path.join(ROOT, "Tests", "Fixtures", "roma2", "model"))
    ap.add_argument("--out", default="/tmp/stages_bf16.safetensors")
    ap.add_argument("--fp32", action="store_true")
    ap.add_argument("--ci", action="store_true", help="write the CI subset into the fixture folder instead")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_grad_enabled(False)
    torch.set_float32_matmul_precision("highest")
    io = load_file(os.path.join(args.fixture, "io.safetensors"))
    model = romav2_env.reduced_model(0)
    state = {k: v.float() for k, v in load_file(os.path.join(args.fixture, "weights.safetensors")).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.endswith("num_batches_tracked") for k in missing), (missing[:3], unexpected[:3])
    model.eval()
    if not args.fp32:
        with_bf16_autocast(model)
    rec = {}

    def put(name, t):
        rec[name] = t.detach().float().contiguous().clone()

    def on_forward(_m, a, kw):
        names = ["lowA", "lowB", "highA", "highB"]
        vals = list(a) + [kw.get(k) for k in ["img_A_lr", "img_B_lr", "img_A_hr", "img_B_hr"][len(a):]]
        for n, v in zip(names, vals):
            if v is not None:
                put(f"forward_{n}", v)

    calls = {"desc": 0, "ref": 0}

    def on_desc(_m, a, out):
        i = calls["desc"]
        calls["desc"] += 1
        put(f"desc{i}_in", a[0])
        for l, x in enumerate(out):
            put(f"desc{i}_out{l}", x)

    def on_matcher(_m, a, kw, out):
        for k in ["warp_AB", "confidence_AB", "warp_BA", "confidence_BA"]:
            if out.get(k) is not None:
                put(f"matcher_{k.split('_')[0]}_{k.split('_')[1]}", out[k])

    def on_refiner(_m, a, kw, out):
        j = calls["ref"]
        calls["ref"] += 1
        for k in ["f_A", "f_B", "prev_warp", "prev_confidence", "scale_factor"]:
            if kw.get(k) is not None:
                put(f"ref{j}_{k}", kw[k])
        put(f"ref{j}_warp", out["warp"])
        put(f"ref{j}_confidence", out["confidence"])

    def on_vit(_m, a, out):
        put("mv_vit_out", out["x_norm_patchtokens"])

    def on_head(_m, a, kw, out):
        i = calls.setdefault("head", 0)
        calls["head"] += 1
        for l, x in enumerate(a[0]):
            put(f"head{i}_in{l}", x)
        put(f"head{i}_out", out)

    def on_conv1(_m, a, out):
        i = calls.setdefault("conv1", 0)
        calls["conv1"] += 1
        put(f"head{i}_conv1", out)

    model.matcher.head.scratch.output_conv1.register_forward_hook(on_conv1)

    def on_part(name):
        def h(_m, a, out):
            if f"dpt_{name}" not in rec:   # the AB call only
                put(f"dpt_{name}", out)
        return h

    head = model.matcher.head
    for i in range(4):
        head.projects[i].register_forward_hook(on_part(f"project{i}"))
        head.resize_layers[i].register_forward_hook(on_part(f"resize{i}"))
        getattr(head.scratch, f"layer{i + 1}_rn").register_forward_hook(on_part(f"rn{i}"))
        getattr(head.scratch, f"refinenet{i + 1}").register_forward_hook(on_part(f"fusion{i}"))
    model.matcher.mv_vit.register_forward_hook(on_vit)
    model.matcher.head.register_forward_hook(on_head, with_kwargs=True)
    model.register_forward_pre_hook(on_forward, with_kwargs=True)
    model.f.register_forward_hook(on_desc) if isinstance(model.f, torch.nn.Module) else None
    model.matcher.register_forward_hook(on_matcher, with_kwargs=True)
    for s in model.refiners.values():
        s.register_forward_hook(on_refiner, with_kwargs=True)
    if not isinstance(model.f, torch.nn.Module):
        sys.exit("descriptor is not a module; cannot hook it")
    images = [np.ascontiguousarray(io[f"image_{x}"].numpy()) for x in "ab"]
    if args.fp32:
        with romav2_env.no_autocast():
            preds = model.match(images[0], images[1])
    else:
        preds = model.match(images[0], images[1])
    for d, D in [("ab", "AB"), ("ba", "BA")]:
        ref = io[f"warp_{d}{'' if args.fp32 else '_bf16'}"]
        assert torch.equal(preds[f"warp_{D}"][0].float(), ref.float()), f"{d}: this run is not the fixture's"
    if args.ci:
        keep = [k for k in rec if k.startswith(("desc", "mv_vit", "head0", "dpt_"))]
        small = {k: (rec[k].bfloat16() if torch.equal(rec[k].bfloat16().float(), rec[k]) else rec[k]) for k in keep}
        args.out = os.path.join(args.fixture, "bf16_stages.safetensors")
        rec = small
    save_atomic(rec, args.out, metadata={"precision": "fp32" if args.fp32 else "bf16", "refiner_calls": str(calls["ref"])})
    print(f"{len(rec)} tensors, {calls['desc']} descriptor calls, {calls['ref']} refiner calls -> {args.out}")


if __name__ == "__main__":
    main()

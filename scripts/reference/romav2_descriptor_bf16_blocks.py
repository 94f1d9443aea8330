#!/usr/bin/env python3
"""romav2's bf16 DINOv3 at full size, op by op (docs/roma2.md, "Descriptor (DINOv3)", bf16).

Runs the descriptor romav2 runs by default (weights cast to bf16, bf16 autocast; seeded random
weights as romav2_descriptor_fullsize.py, which must have written --dir's weights.safetensors
and io.safetensors first) and records, with forward hooks, what every op of the first --blocks
blocks receives and returns, so `roma-bench descriptor --bf16-ops` can feed each of ours
torch's own input and find the first op whose output is not bit-identical:

  patch                     patch embedding output [1, h, w, D]
  rope_sin, rope_cos        the RoPE tables the blocks receive (fp32)
  b{i}_in                   block i's input tokens [1, N, D]
  b{i}_norm1, b{i}_qkv      norm1's output, the qkv linear's output
  b{i}_q, b{i}_k, b{i}_v    scaled_dot_product_attention's operands [1, heads, N, d] (RoPE applied)
  b{i}_sdpa                 its output [1, heads, N, d]
  b{i}_proj, b{i}_ls1       the output projection, the layer-scaled attention branch
  b{i}_mid                  x + ls1(...) (norm2's input)
  b{i}_norm2, b{i}_fc1, b{i}_act, b{i}_fc2, b{i}_ls2
  b{i}_out                  every block's output (blocks 0-17, 5 MB each), for the chain run
  out{j}                    block 11's and 17's output before the final norm (j = 0, 1)
Every recorded tensor but the RoPE tables holds bf16 values and is stored as BF16.

Usage: python scripts/reference/romav2_descriptor_bf16_blocks.py [--dir runs/roma2_descriptor] [--blocks 3]
(memory ~3 GB; under flock /work/wt/notes/bigmem.lock on a shared machine)
"""
import argparse
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
import romav2_env  # noqa: E402
from atomic_save import save_atomic


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=os.path.join(ROOT, "runs", "roma2_descriptor"))
    ap.add_argument("--blocks", type=int, default=3, help="record every op of blocks 0 ..< BLOCKS")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_grad_enabled(False)
    from romav2.features import Descriptor

    with romav2_env.offline_hub():
        amp = Descriptor(Descriptor.Cfg(enable_amp=True))   # wrap_model casts it to bf16
    weights = load_file(os.path.join(args.dir, "weights.safetensors"))
    own = amp.state_dict()
    state = {k: weights["f." + k].to(own[k].dtype) for k in own}
    amp.load_state_dict(state)
    amp = amp.eval()
    image = load_file(os.path.join(args.dir, "io.safetensors"))["image"]
    rec = {}

    def put(name, t):
        t = t.detach()
        rec[name] = (t if t.dtype == torch.bfloat16 else t.float()).contiguous().clone()

    def out_hook(name):
        return lambda _m, _a, out: put(name, out)

    model = amp
    model.patch_embed.register_forward_hook(out_hook("patch"))

    def on_rope(_m, _a, out):   # a hook returning something would replace the output
        put("rope_sin", out[0])
        put("rope_cos", out[1])

    model.rope_embed.register_forward_hook(on_rope)
    current = {"block": None}
    for i, blk in enumerate(model.blocks):
        if i in (11, 17):
            blk.register_forward_hook(lambda _m, _a, out, j=(0 if i == 11 else 1): put(f"out{j}", out[0] if isinstance(out, list) else out))

        def post(_m, _a, out, i=i):
            current["block"] = None
            put(f"b{i}_out", out[0] if isinstance(out, list) else out)

        blk.register_forward_hook(post)
        if i >= args.blocks:
            continue

        def pre(_m, a, i=i):
            current["block"] = i
            x = a[0]
            put(f"b{i}_in", x[0] if isinstance(x, list) else x)

        blk.register_forward_pre_hook(pre)
        blk.norm1.register_forward_hook(out_hook(f"b{i}_norm1"))
        blk.attn.qkv.register_forward_hook(out_hook(f"b{i}_qkv"))
        blk.attn.proj.register_forward_pre_hook(lambda _m, a, i=i: put(f"b{i}_sdpa_flat", a[0]))
        blk.attn.proj.register_forward_hook(out_hook(f"b{i}_proj"))
        blk.ls1.register_forward_hook(out_hook(f"b{i}_ls1"))
        blk.norm2.register_forward_pre_hook(lambda _m, a, i=i: put(f"b{i}_mid", a[0]))
        blk.norm2.register_forward_hook(out_hook(f"b{i}_norm2"))
        blk.mlp.fc1.register_forward_hook(out_hook(f"b{i}_fc1"))
        blk.mlp.act.register_forward_hook(out_hook(f"b{i}_act"))
        blk.mlp.fc2.register_forward_hook(out_hook(f"b{i}_fc2"))
        blk.ls2.register_forward_hook(out_hook(f"b{i}_ls2"))

    sdpa = F.scaled_dot_product_attention

    def recording_sdpa(q, k, v, *a, **kw):
        out = sdpa(q, k, v, *a, **kw)
        i = current["block"]
        if i is not None:
            for n, t in [("q", q), ("k", k), ("v", v), ("sdpa", out)]:
                put(f"b{i}_{n}", t)
        return out

    F.scaled_dot_product_attention = recording_sdpa
    try:
        outs = amp(image)
    finally:
        F.scaled_dot_product_attention = sdpa
    io = load_file(os.path.join(args.dir, "io.safetensors"))
    for j, o in enumerate(outs):
        if f"out_bf16.{j}" in io:
            assert torch.equal(o.float(), io[f"out_bf16.{j}"]), "this run is not the recorded bf16 run"
    out = os.path.join(args.dir, "bf16_ops.safetensors")
    save_atomic(rec, out, metadata={"blocks": str(args.blocks), "torch": torch.__version__})
    dtypes = sorted({str(t.dtype) for t in rec.values()})
    print(f"{len(rec)} tensors ({', '.join(dtypes)}) -> {out}")


if __name__ == "__main__":
    main()

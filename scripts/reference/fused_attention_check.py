#!/usr/bin/env python3
"""NN's fused bf16 attention (Sources/CKernels/flash_bf16.c) against torch's CPU flash attention on random operands.

Compiles flash_bf16.c with clang into a temporary shared library (kernel level 2, AVX-512, or
with --scalar level 1, the portable form), runs it head by head the way
`attendHeadFusedBF16` does (keys in blocks of 512, all queries at once) through ctypes, and
counts the outputs not identical to `F.scaled_dot_product_attention` on the same bf16 q, k, v
(docs/roma2.md, "Attention"). Each case is HEADS×QUERIES×KEYS with head size 64, q scaled by 3.

Usage: python scripts/reference/fused_attention_check.py [--scalar] [--source FILE.c] [CASE ...]
       (default cases: DINOv3 at 800², 16×2505×2505; the matcher ViT's global and per-view
       blocks, 4×5000×5000 and 6×2500×2500; 64×300×K for K = 5, 1029, 1111)
"""
import argparse
import ctypes
import os
import subprocess
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
P, L = ctypes.c_void_p, ctypes.c_ssize_t


def build(scalar, source):
    folder = tempfile.mkdtemp(prefix="flash_bf16_")
    stub = os.path.join(folder, "level.c")
    with open(stub, "w") as f:
        f.write("int roma_kernels_level(void) { return %d; }\n" % (1 if scalar else 2))
    out = os.path.join(folder, "libflash.so")
    subprocess.run(["clang", "-O2", "-fPIC", "-shared", "-I", os.path.join(ROOT, "Sources/CKernels/include"),
                    source, stub, "-o", out, "-lm"], check=True)
    lib = ctypes.CDLL(out)
    lib.roma_flash_bf16_product.argtypes = [P, L, P, L, P, L, L, L, L, ctypes.c_int]
    lib.roma_flash_bf16_step.argtypes = [P, L, L, L, ctypes.c_float, P, P, P, L, L, ctypes.c_int]
    lib.roma_flash_bf16_finish.argtypes = [P, L, L, L, P, P, L]
    return lib


def head(lib, q, k, v, scale, block=512):
    ptr = lambda a: a.ctypes.data_as(P)
    n, d = q.shape
    m, dv = k.shape[0], v.shape[1]
    acc, out = np.zeros((n, dv), np.float32), np.zeros((n, dv), np.float32)
    row_max, row_sum = np.full(n, -np.inf, np.float32), np.zeros(n, np.float32)
    for k0 in range(0, m, block):
        keys = min(block, m - k0)
        kt, vb = np.ascontiguousarray(k[k0:k0 + keys].T), np.ascontiguousarray(v[k0:k0 + keys])
        s = np.zeros((n, keys), np.float32)
        first = 1 if k0 == 0 else 0
        lib.roma_flash_bf16_product(ptr(q), d, ptr(kt), keys, ptr(s), keys, n, keys, d, 0)
        lib.roma_flash_bf16_step(ptr(s), n, keys, keys, scale, ptr(row_max), ptr(row_sum), ptr(acc), dv, dv, first)
        lib.roma_flash_bf16_product(ptr(s), keys, ptr(vb), dv, ptr(acc), dv, n, dv, keys, 1 - first)
    lib.roma_flash_bf16_finish(ptr(acc), n, dv, dv, ptr(row_sum), ptr(out), dv)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scalar", action="store_true", help="the portable form (kernel level 1)")
    ap.add_argument("--source", default=os.path.join(ROOT, "Sources/CKernels/flash_bf16.c"),
                    help="the C file to test (e.g. an older flash_bf16.c, from git show)")
    ap.add_argument("cases", nargs="*", default=["16x2505x2505", "4x5000x5000", "6x2500x2500",
                                                   "64x300x5", "64x300x1029", "64x300x1111"])
    args = ap.parse_args()
    lib = build(args.scalar, args.source)
    torch.set_num_threads(2)
    for case in args.cases:
        heads, nq, nk = (int(x) for x in case.split("x"))
        g = torch.Generator().manual_seed(0)
        q = (torch.randn(1, heads, nq, 64, generator=g) * 3).bfloat16()
        k = torch.randn(1, heads, nk, 64, generator=g).bfloat16()
        v = torch.randn(1, heads, nk, 64, generator=g).bfloat16()
        y = F.scaled_dot_product_attention(q, k, v).float().numpy()
        qf, kf, vf = (t.float().numpy()[0] for t in (q, k, v))
        differing = sum(int((head(lib, np.ascontiguousarray(qf[h]), np.ascontiguousarray(kf[h]), np.ascontiguousarray(vf[h]),
                                  np.float32(64 ** -0.5)).view(np.uint32) != y[0, h].view(np.uint32)).sum())
                        for h in range(heads))
        print(f"{case}: {differing} of {y.size} outputs differ from torch's")


if __name__ == "__main__":
    main()

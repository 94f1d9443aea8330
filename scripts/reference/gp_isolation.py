#!/usr/bin/env python3
"""Where the GP posterior's float32 error comes from: its inputs or its own arithmetic.

Recomputes romatch's GP (proj.16, CosKernel T=0.2, Cholesky solve with sigma 0.1, Fourier
basis) from the stage dumps of `full_size_reference.py run --stages [--float64]`, in float64
from the float64 features (must reproduce the float64 dump), in float64 from romatch's float32
features (the share of the features), and in float32 from the float64 features (the share of
the stage's own float32 arithmetic). Prints each relative RMS error against the float64 dump.

Usage: python scripts/reference/gp_isolation.py runs/f64/seed0
"""
import math
import sys

import torch
from safetensors.torch import load_file


def main():
    d = sys.argv[1]
    w = load_file(f"{d}/roma_random.safetensors")
    s64, s32 = load_file(f"{d}/stages_float64.safetensors"), load_file(f"{d}/stages.safetensors")

    def proj(x):  # decoder.proj.16: 1×1 convolution and batch norm (eval), in double
        y = torch.einsum("oc,chw->ohw", w["decoder.proj.16.0.weight"].double()[:, :, 0, 0], x.double())
        y = y + w["decoder.proj.16.0.bias"].double()[:, None, None]
        g, b, m, v = (w[f"decoder.proj.16.1.{k}"].double()[:, None, None] for k in ["weight", "bias", "running_mean", "running_var"])
        return (y - m) / torch.sqrt(v + 1e-5) * g + b

    def gp(x, y, dtype):
        x, y = x.to(dtype), y.to(dtype)
        c, h, wd = y.shape
        lin = lambda n: torch.linspace(-1 + 1 / n, 1 - 1 / n, n, dtype=dtype)  # noqa: E731
        yy, xx = torch.meshgrid(lin(h), lin(wd), indexing="ij")
        pw, pb = w["decoder.gps.16.pos_conv.weight"].to(dtype)[:, :, 0, 0], w["decoder.gps.16.pos_conv.bias"].to(dtype)
        f = torch.cos(8 * math.pi * (torch.einsum("oc,chw->ohw", pw, torch.stack((xx, yy))) + pb[:, None, None]))
        X, Y, F = x.reshape(c, -1).t(), y.reshape(c, -1).t(), f.reshape(f.shape[0], -1).t()

        def K(a, b):
            cos = a @ b.t() / (a.norm(dim=-1)[:, None] * b.norm(dim=-1)[None] + 1e-6)
            return ((cos - 1) / torch.tensor(0.2, dtype=dtype)).exp()

        L = torch.linalg.cholesky(K(Y, Y) + 0.1 * torch.eye(Y.shape[0], dtype=dtype))
        return (K(X, Y) @ torch.cholesky_solve(F, L)).t().reshape(-1, h, wd)

    rel = lambda a, b: float((a.double() - b.double()).norm() / b.double().norm())  # noqa: E731
    for dname, (q, s) in {"ab": ("a", "b"), "ba": ("b", "a")}.items():
        ref = s64[f"gp_{dname}"].double()
        f64 = [proj(s64[f"dinov2_{q}"]), proj(s64[f"dinov2_{s}"])]
        f32 = [proj(s32[f"dinov2_{q}"]), proj(s32[f"dinov2_{s}"])]
        print(f"{dname}: float64 GP, float64 features (check) {rel(gp(*f64, torch.float64), ref):.1e}; "
              f"float64 GP, romatch float32 features {rel(gp(*f32, torch.float64), ref):.1e}; "
              f"float32 GP, float64 features {rel(gp(*f64, torch.float32), ref):.1e}; "
              f"romatch float32 dump {rel(s32[f'gp_{dname}'], ref):.1e}")


if __name__ == "__main__":
    main()

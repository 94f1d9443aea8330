#!/usr/bin/env python3
"""torch's sin/cos at the RoPE angles RoMa v2's DINOv3 computes, where they depart from the correctly rounded value.

torch's `sin`/`cos` of a float CPU tensor are MKL VML (closed; neither transcribable nor
linkable), which on about 5 % of inputs rounds to the other side of the exact value than a
correctly rounded sin/cos does. DINOv3's `RopePositionEmbedding` takes sin and cos of
`2π·coord / period`, and romav2 only runs it at a few grids with the periods DINOv3
constructs, so the float32 angles that reach sin/cos form a small finite set. This script
builds them with the real class from the DINOv3 checkout (romav2's commit adc2544,
$DINOV3_REPO), as romav2 has it in each precision:
  fp32  the constructed periods (romav2 with autocast off, the fp32 reference);
  bf16  the module cast to bf16 (romav2's `wrap_model`: the periods buffer rounded; the
        coordinates stay float32, so the angles are float32 over bf16 periods);
at the square grids of romav2's settings (320, 512, 640, 800 px at patch 16: 20, 32, 40, 50
patches per side; the descriptor only runs at the low-resolution pass) for ViT-L/16, and at
the reduced CI descriptor's grids (head width 16: 4×4 and 3×5). It records torch.sin /
torch.cos on the angle tensor exactly as `forward` builds it, checks every occurrence of an
angle got the same value, and compares each with the correctly rounded value (mpmath at 120
bits, rounded once to float32).

Outputs:
  --swift FILE    Sources/NN/RoPETorchSinCos.swift: for each function, the angles (bit
                  patterns, sorted) where torch departs from the correctly rounded value and
                  torch's value there. `RotaryEmbedding` looks an angle up by binary search
                  and otherwise computes the correctly rounded value.
  --fixture FILE  Tests/Fixtures/nn/rope_sincos.safetensors: the distinct angles of two
                  cases (ViT-L bf16 at 32², reduced fp32 at 3×5) with torch's sin and cos;
                  512 seeded float32 angles in [−8, 8] with the correctly rounded sin and
                  cos (off the tables); a non-standard periods vector's angles at 3×7 with
                  the correctly rounded values and torch's.
  --matcher       checks the matcher's bf16 RoPE instead: torch.sin/cos of every finite
                  bf16 value with |x| < 64 against the correctly rounded float32 value
                  rounded to bf16 (MatchRoPE computes that).

Usage: python scripts/reference/rope_sincos_tables.py [--swift FILE] [--fixture FILE] [--matcher]
"""
import argparse
import ctypes
import ctypes.util
import os
import subprocess
import sys
import tempfile
from unittest import mock

import mpmath
import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from atomic_save import save_atomic  # noqa: E402
from romav2_env import prepare_dinov3  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
VITL = {"embed_dim": 1024, "num_heads": 16}
REDUCED = {"embed_dim": 32, "num_heads": 2}   # scripts/fixtures/make_roma2_descriptor_fixtures.py
# (model, side(s) of the patch grid): romav2's settings at patch 16; the reduced fixtures' inputs
# (64×64 and 48×80 px) and the reduced end-to-end model's 64² low-resolution pass.
GRIDS = [("vitl", VITL, (n, n)) for n in (20, 32, 40, 50)] + [("reduced", REDUCED, g) for g in ((4, 4), (3, 5))]
FUNCTIONS = ("sin", "cos")


def rope_module(dims, precision):
    """DINOv3's RopePositionEmbedding as hub's dinov3_vitl16 builds it (the reduced descriptor too),
    at eval; `bf16` as romav2's wrap_model leaves it (module.to(bfloat16): the periods buffer)."""
    sys.path.insert(0, prepare_dinov3())
    from dinov3.layers.rope_position_encoding import RopePositionEmbedding
    rope = RopePositionEmbedding(dims["embed_dim"], num_heads=dims["num_heads"], base=100.0,
                                 normalize_coords="separate", rescale_coords=2, dtype=torch.float32).eval()
    return rope.to(torch.bfloat16) if precision == "bf16" else rope


def torch_values(rope, h, w):
    """The angle tensor forward() hands to torch.sin/cos, and their outputs, from the module itself."""
    seen = {}
    real = {name: getattr(torch, name) for name in FUNCTIONS}

    def recorder(name):
        def call(x):
            seen[name] = (x.clone(), real[name](x))
            return seen[name][1]
        return call

    with torch.no_grad(), mock.patch("torch.sin", recorder("sin")), mock.patch("torch.cos", recorder("cos")):
        sin, cos = rope(H=h, W=w)
    assert torch.equal(seen["sin"][0], seen["cos"][0]) and seen["sin"][0].dtype == torch.float32
    assert torch.equal(seen["sin"][1], sin) and torch.equal(seen["cos"][1], cos)
    return seen["sin"][0], {name: seen[name][1] for name in FUNCTIONS}


def distinct(angles, values):
    """Sorted distinct angles (as float32) and each function's value there; every occurrence must agree."""
    bits = angles.flatten().numpy().view(np.uint32)
    keys, first, inverse = np.unique(bits, return_index=True, return_inverse=True)
    out = {}
    for name, v in values.items():
        vb = v.flatten().numpy().view(np.uint32)
        assert np.array_equal(vb, vb[first][inverse]), f"torch.{name} gave one angle two values"
        out[name] = vb[first]
    return keys, out


def rounded(name, x_bits):
    """The correctly rounded float32 sin/cos (bit patterns) of float32 angles (bit patterns)."""
    f = getattr(mpmath, name)
    out = np.empty(len(x_bits), dtype=np.uint32)
    for i, b in enumerate(x_bits):
        x = float(np.uint32(b).view(np.float32))
        with mpmath.workprec(120):
            exact = f(mpmath.mpf(x))
        with mpmath.workprec(24):   # round to nearest even, once, to float32's 24 bits
            out[i] = np.float32(float(+exact)).view(np.uint32)
    return out


def departures(cases):
    """{function: {angle bits: torch's value bits}} where torch differs from the correctly rounded value."""
    table = {name: {} for name in FUNCTIONS}
    for label, keys, values in cases:
        counts = []
        for name in FUNCTIONS:
            exact = rounded(name, keys)
            differ = np.nonzero(exact != values[name])[0]
            for i in differ:
                previous = table[name].setdefault(int(keys[i]), int(values[name][i]))
                assert previous == values[name][i], f"torch.{name} of one angle differs between cases"
            counts.append(len(differ))
        print(f"{label}: {len(keys)} distinct angles; torch.sin / torch.cos depart from the correctly rounded value on "
              f"{counts[0]} / {counts[1]}")
    return table


def all_cases():
    cases = []
    for model, dims, (h, w) in GRIDS:
        for precision in ("fp32", "bf16"):
            angles, values = torch_values(rope_module(dims, precision), h, w)
            keys, vals = distinct(angles, values)
            cases.append((f"{model} {precision} {h}x{w}", keys, vals))
    return cases


def near_midpoints(ulps=4):
    """{function: {|x| bits: correctly rounded value bits}} for every float x >= 0 whose double sin/cos
    (the C library's, error below an ulp) is within `ulps` double ulps of a float midpoint, where
    Float(sin(Double(x))) may round the wrong way (sincos_near_midpoints.c scans all 2^31 of them)."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sincos_near_midpoints.c")
    with tempfile.TemporaryDirectory() as tmp:
        binary = os.path.join(tmp, "scan")
        subprocess.run(["cc", "-O2", "-o", binary, source, "-lm"], check=True)
        lines = subprocess.run([binary, str(ulps)], check=True, capture_output=True, text=True).stdout.split()
    cases = {name: [] for name in FUNCTIONS}
    for name, bits in zip(lines[0::2], lines[1::2]):
        cases[name].append(int(bits, 16))
    out = {}
    for name in FUNCTIONS:
        keys = np.array(sorted(cases[name]), dtype=np.uint32)
        values = rounded(name, keys)
        libm = getattr(ctypes.CDLL(ctypes.util.find_library("m")), name)
        libm.restype, libm.argtypes = ctypes.c_double, [ctypes.c_double]
        double = np.array([np.float32(libm(float(np.uint32(k).view(np.float32)))).view(np.uint32) for k in keys],
                          dtype=np.uint32)
        print(f"{name}: {len(keys)} floats within {ulps} double ulps of a midpoint; rounding libm's double "
              f"{name} is wrong on {int((double != values).sum())} of them")
        out[name] = dict(zip(keys.tolist(), values.tolist()))
    return out


def swift_array(lines, name, doc, words):
    lines.append(f"    /// {doc}")
    lines.append(f"    static let {name}: [UInt32] = [")
    words = [f"0x{w:08x}" for w in words]
    for i in range(0, len(words), 8):
        lines.append("        " + ", ".join(words[i:i + 8]) + ",")
    lines.append("    ]")


def swift_source(table, hard, command):
    config = torch.__config__.show()
    mkl = config.split("Math Kernel Library Version ")[1].split(" ")[0]
    cpu = config.split("CPU capability usage: ")[1].split()[0]
    lines = [
        f"// Generated by {command}",
        f"// (torch {torch.__version__}, MKL {mkl}, CPU capability {cpu}, DINOv3 adc2544). Do not edit: rerun the script.",
        "//",
        "// torch's sin/cos of a float CPU tensor are MKL VML, which on a few percent of inputs rounds",
        "// to the other side of the exact value than the correctly rounded result. These are the float32",
        "// angles DINOv3's RopePositionEmbedding feeds them in RoMa v2 (ViT-L/16 at 20², 32², 40², 50²",
        "// patches, the reduced CI descriptor at 4×4 and 3×5; periods as constructed, in fp32 and rounded",
        "// to bf16) where torch's value is not the correctly rounded one, with torch's value there, so",
        "// `RotaryEmbedding` reproduces torch's tables to the bit (docs/roma2.md, \"RoPE sin/cos\").",
        "// Below them, the floats where rounding a double sin/cos to float needs settling (every one",
        "// found by scripts/reference/sincos_near_midpoints.c) with the correctly rounded values.",
        "",
        "extension RotaryEmbedding {",
    ]
    for name in FUNCTIONS:
        items = sorted(table[name].items())
        title = name.capitalize()
        swift_array(lines, f"torch{title}Angles", f"Angles (float32 bit patterns, ascending) where torch.{name} departs: {len(items)}.",
                    [k for k, _ in items])
        swift_array(lines, f"torch{title}Values", f"torch.{name} at those angles.", [v for _, v in items])
    for name in FUNCTIONS:
        items = sorted(hard[name].items())
        title = name.capitalize()
        swift_array(lines, f"nearMidpoint{title}Angles",
                    f"|x| (ascending) whose double {name} lies within 4 double ulps of a float midpoint: {len(items)}.",
                    [k for k, _ in items])
        swift_array(lines, f"nearMidpoint{title}Values", f"The correctly rounded {name} there (mpmath).", [v for _, v in items])
    lines.append("}")
    return "\n".join(lines) + "\n"


def fixture(table, cases, path):
    out = {}
    by_label = {label: (keys, values) for label, keys, values in cases}
    for name, label in (("vitl_bf16_32", "vitl bf16 32x32"), ("reduced_fp32_3x5", "reduced fp32 3x5")):
        keys, values = by_label[label]
        rope = rope_module(VITL if name.startswith("vitl") else REDUCED, "bf16" if "bf16" in name else "fp32")
        out[f"{name}.periods"] = rope.periods.float()
        out[f"{name}.angles"] = torch.from_numpy(keys.view(np.float32).copy())
        for f in FUNCTIONS:
            out[f"{name}.{f}"] = torch.from_numpy(values[f].view(np.float32).copy())
    gen = torch.Generator().manual_seed(0)
    random = (torch.rand(512, generator=gen, dtype=torch.float64) * 16 - 8).float().numpy().view(np.uint32)
    random = np.array([b for b in random if all(int(b) not in table[f] for f in FUNCTIONS)], dtype=np.uint32)
    out["offtable.angles"] = torch.from_numpy(random.view(np.float32).copy())
    for f in FUNCTIONS:
        out[f"offtable.{f}"] = torch.from_numpy(rounded(f, random).view(np.float32).copy())
        out[f"offtable.torch_{f}"] = getattr(torch, f)(out["offtable.angles"])
    # A periods vector DINOv3 never constructs (head width 16): the tables must fall back.
    periods = torch.tensor([1.0, 3.0, 10.0, 30.0])
    rope = rope_module(REDUCED, "fp32")
    rope.periods.copy_(periods)
    angles, values = torch_values(rope, 3, 7)
    keys, vals = distinct(angles, values)
    assert not any(int(b) in table[f] for f in FUNCTIONS for b in keys), "a non-standard angle is in the tables"
    out["custom.periods"] = periods
    out["custom.angles"] = torch.from_numpy(keys.view(np.float32).copy())
    for f in FUNCTIONS:
        out[f"custom.{f}"] = torch.from_numpy(rounded(f, keys).view(np.float32).copy())
        out[f"custom.torch_{f}"] = torch.from_numpy(vals[f].view(np.float32).copy())
    for part in ("offtable", "custom"):
        differ = [int((out[f"{part}.torch_{f}"] != out[f"{part}.{f}"]).sum()) for f in FUNCTIONS]
        print(f"fixture {part}: {len(out[f'{part}.angles'])} angles; torch.sin / cos differ from the correctly rounded value on {differ}")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    save_atomic({k: v.contiguous() for k, v in out.items()}, path, metadata={"torch": torch.__version__})
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def matcher_check():
    """romav2's matcher RoPE computes sin/cos of bf16 angles into bf16: compare torch with bf16(correctly rounded)."""
    bits = (np.arange(0, 0x8000, dtype=np.uint32) << 16)
    x = bits.view(np.float32)
    x = x[np.isfinite(x) & (np.abs(x) < 64)]
    x = np.concatenate([x, -x[x > 0]]).astype(np.float32)
    xt = torch.from_numpy(x).to(torch.bfloat16)
    assert torch.equal(xt.float(), torch.from_numpy(x))
    for f in FUNCTIONS:
        ours = torch.from_numpy(rounded(f, x.view(np.uint32)).view(np.float32).copy()).to(torch.bfloat16)
        theirs = getattr(torch, f)(xt)
        differ = int((ours.view(torch.int16) != theirs.view(torch.int16)).sum())
        glibc = torch.from_numpy(np.array([np.float32(getattr(np, f)(np.float32(v))) for v in x], dtype=np.float32)).to(torch.bfloat16)
        print(f"matcher: torch.{f} of {len(x)} bf16 angles (|x| < 64) vs bf16(correctly rounded float): {differ} differ; "
              f"vs bf16(numpy float32 {f}): {int((glibc.view(torch.int16) != theirs.view(torch.int16)).sum())}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--swift", help="write the generated Swift tables here")
    ap.add_argument("--fixture", help="write the test fixture here")
    ap.add_argument("--matcher", action="store_true", help="check the matcher's bf16 sin/cos instead")
    args = ap.parse_args()
    if args.matcher:
        matcher_check()
        return
    cases = all_cases()
    table = departures(cases)
    print(f"tables: {len(table['sin'])} sin, {len(table['cos'])} cos departures")
    if args.swift:
        hard = near_midpoints()
        command = "scripts/reference/rope_sincos_tables.py --swift " + os.path.relpath(os.path.abspath(args.swift), ROOT)
        with open(args.swift, "w") as out:
            out.write(swift_source(table, hard, command))
        print(f"wrote {args.swift}")
    if args.fixture:
        fixture(table, cases, args.fixture)


if __name__ == "__main__":
    main()

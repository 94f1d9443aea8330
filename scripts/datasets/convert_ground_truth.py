#!/usr/bin/env python3
"""Converts the MegaDepth-1500 and ScanNet-1500 ground truth (LoFTR release,
Apache-2.0) into plain-text pair lists the Swift tool reads without unpickling.

Why a one-time conversion: the MegaDepth scene-info files are pickled Python
objects (despite the .npz name). Unpickling is code execution, so the tool never
does it; this script runs once, by a developer, on the trusted originals that are
committed beside its output under datasets/<bench>/original/.

Output format (one pair per line, the SuperGlue-style format `roma` also accepts
for custom pairs): `image_a image_b K_a(9) K_b(9) T_ab(16)`, row-major, with
image paths relative to the dataset root (MEGADEPTH_ROOT / SCANNET_ROOT) and
T_ab the 4x4 transform from camera A's frame to camera B's (x_B = R x_A + t).
Lines starting with '#' are comments; the first non-comment column may be
preceded by `id=<pair id>`.

Usage: python3 scripts/datasets/convert_ground_truth.py [datasets]
"""
import pickle
import sys
from pathlib import Path

import numpy as np

# Scene order of romatch/benchmarks/megadepth_pose_estimation_benchmark.py.
MEGADEPTH_SCENES = ["0015_0.1_0.3", "0015_0.3_0.5", "0022_0.1_0.3", "0022_0.3_0.5", "0022_0.5_0.7"]


def numbers(values):
    # repr() of a Python float round-trips exactly, so the manifest loses nothing.
    return " ".join(repr(float(v)) for v in np.asarray(values, dtype=np.float64).ravel())


def relative_pose(T1, T2):
    # As romatch.utils.compute_relative_pose: poses are world-to-camera.
    R1, t1, R2, t2 = T1[:3, :3], T1[:3, 3], T2[:3, :3], T2[:3, 3]
    R = R2 @ R1.T
    t = -R @ t1 + t2
    T = np.eye(4)
    T[:3, :3], T[:3, 3] = R, t
    return T


def convert_megadepth(folder: Path) -> list[str]:
    lines = ["# MegaDepth-1500 (LoFTR split), converted by scripts/datasets/convert_ground_truth.py",
             "# id image_a image_b K_a(9) K_b(9) T_ab(16); paths relative to MEGADEPTH_ROOT"]
    for scene in MEGADEPTH_SCENES:
        with open(folder / "original" / f"{scene}.npz", "rb") as f:
            info = pickle.load(f)  # trusted, committed originals (see module docstring)
        for index, pair in enumerate(info["pair_infos"]):
            i, j = (int(x) for x in pair[0])
            T = relative_pose(np.asarray(info["poses"][i], dtype=np.float64), np.asarray(info["poses"][j], dtype=np.float64))
            lines.append(f"id={scene}-{index:03d} {info['image_paths'][i]} {info['image_paths'][j]} "
                         f"{numbers(info['intrinsics'][i])} {numbers(info['intrinsics'][j])} {numbers(T)}")
    return lines


def convert_scannet(folder: Path) -> list[str]:
    test = np.load(folder / "original" / "test.npz")
    intrinsics = np.load(folder / "original" / "intrinsics.npz")
    lines = ["# ScanNet-1500 (LoFTR split), converted by scripts/datasets/convert_ground_truth.py",
             "# id image_a image_b K_a(9) K_b(9) T_ab(16); paths relative to SCANNET_ROOT; K for 640x480 frames"]
    for index, (name, rel) in enumerate(zip(test["name"], test["rel_pose"])):
        scene = f"scene0{int(name[0])}_{int(name[1]):02d}"
        K = intrinsics[scene]
        T = np.eye(4)
        T[:3, :4] = np.asarray(rel, dtype=np.float64).reshape(3, 4)
        a = f"scans_test/{scene}/color/{int(name[2])}.jpg"
        b = f"scans_test/{scene}/color/{int(name[3])}.jpg"
        lines.append(f"id={index:04d} {a} {b} {numbers(K)} {numbers(K)} {numbers(T)}")
    return lines


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "datasets")
    for bench, convert in (("megadepth1500", convert_megadepth), ("scannet1500", convert_scannet)):
        lines = convert(root / bench)
        (root / bench / "pairs.txt").write_text("\n".join(lines) + "\n")
        print(f"{bench}: {len(lines) - 2} pairs")


if __name__ == "__main__":
    main()

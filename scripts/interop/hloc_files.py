"""hloc-layout files written with h5py, and checks of `roma export hloc` read with h5py.

Used by Tests/InteropTests (through the .venv that `make interop-venv` builds):

  hloc_files.py write DIR        hloc files in every layout variant + the matches they
                                 must import as (DIR/expected/<id>.matches.safetensors),
                                 and malformed variants under DIR/bad-*/
  hloc_files.py check-export DIR PAIRS MATCHES_DIR
                                 reads DIR/features.h5 and DIR/matches.h5 as hloc does and
                                 checks every pair's matches against MATCHES_DIR/<id>.matches.safetensors

The layouts follow hloc (cvg/Hierarchical-Localization): features.h5 holds a group per image
(its path; '/' nests groups) with `keypoints`; matches.h5 a group per pair named
name0/name1 with '/' in names replaced by '-' (or name0_name1 in old files), holding
matches0 (+ matching_scores0) or, from match_dense, keypoints0/keypoints1/scores.
hloc keypoints put the top-left pixel centre at (0, 0); roma.matches/1 at (0.5, 0.5).
"""
import json
import os
import struct
import sys

import h5py
import numpy as np


def pair_name(a, b, sep="/"):
    return a.replace("/", "-") + sep + b.replace("/", "-")


def write_matches_safetensors(path, kpts_a, kpts_b, certainty):
    """A roma.matches/1 artifact from numpy alone (F64 tensors, C order)."""
    tensors = {"kpts_a": np.ascontiguousarray(kpts_a, np.float64), "kpts_b": np.ascontiguousarray(kpts_b, np.float64)}
    if certainty is not None:
        tensors["certainty"] = np.ascontiguousarray(certainty, np.float64)
    header, offset, blobs = {"__metadata__": {"schema": "roma.matches/1"}}, 0, []
    for name, t in tensors.items():
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + t.nbytes]}
        offset += t.nbytes
        blobs.append(t.tobytes())
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    kinds = {"F32": np.float32, "F64": np.float64, "U8": np.uint8}
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        out[name] = np.frombuffer(data[a:b], kinds[h["dtype"]]).reshape(h["shape"])
    return out


def write(folder):
    rng = np.random.default_rng(7)
    names = ["scene/a.jpg", "scene/b.jpg", "other/c.jpg", "d.jpg"]
    # 40-60 keypoints per image, float32 in hloc's convention.
    kpts = {n: (rng.random((int(rng.integers(40, 60)), 2)) * [640, 480]).astype(np.float32) for n in names}
    # (pair, how it is stored): new name order, reversed, old naming, dense.
    pairs = [("scene/a.jpg", "scene/b.jpg", "sparse-int16"), ("scene/a.jpg", "other/c.jpg", "sparse-reversed"),
             ("scene/b.jpg", "d.jpg", "sparse-old"), ("other/c.jpg", "d.jpg", "dense")]
    os.makedirs(folder + "/expected", exist_ok=True)
    with h5py.File(folder + "/features.h5", "w") as f:
        for n in names:
            f.create_group(n).create_dataset("keypoints", data=kpts[n])
    with h5py.File(folder + "/matches.h5", "w") as f:
        for k, (a, b, how) in enumerate(pairs):
            ka, kb = kpts[a], kpts[b]
            if how == "dense":
                n = 30
                p0 = (rng.random((n, 2)) * 600).astype(np.float32)
                p1 = (rng.random((n, 2)) * 600).astype(np.float32)
                s = rng.random(n).astype(np.float32)
                g = f.create_group(pair_name(b, a))  # stored reversed too
                g.create_dataset("keypoints0", data=p1)
                g.create_dataset("keypoints1", data=p0)
                g.create_dataset("scores", data=s)
                write_matches_safetensors(f"{folder}/expected/{k:04d}.matches.safetensors",
                                          p0.astype(np.float64) + 0.5, p1.astype(np.float64) + 0.5, s.astype(np.float64))
                continue
            # A random partial one-to-one assignment A -> B.
            perm = rng.permutation(len(kb))
            m_ab = np.full(len(ka), -1, np.int64)
            chosen = rng.choice(len(ka), size=min(len(ka), len(kb)) // 2, replace=False)
            m_ab[chosen] = perm[: len(chosen)]
            scores_ab = np.where(m_ab >= 0, rng.random(len(ka)), 0).astype(np.float16)
            if how == "sparse-reversed":
                m0 = np.full(len(kb), -1, np.int64)
                s0 = np.zeros(len(kb), np.float16)
                m0[m_ab[chosen]] = chosen
                s0[m_ab[chosen]] = scores_ab[chosen]
                g = f.create_group(pair_name(b, a))
                g.create_dataset("matches0", data=m0.astype(np.int32))
                g.create_dataset("matching_scores0", data=s0)
            else:
                g = f.create_group(pair_name(a, b, "_" if how == "sparse-old" else "/"))
                g.create_dataset("matches0", data=m_ab.astype(np.int16 if how == "sparse-int16" else np.int32))
                g.create_dataset("matching_scores0", data=scores_ab)
            idx = np.where(m_ab >= 0)[0]
            if how == "sparse-reversed":  # the reader walks matches0 of B, i.e. in B's keypoint order
                order = np.argsort(m_ab[idx])
                idx = idx[order]
            write_matches_safetensors(f"{folder}/expected/{k:04d}.matches.safetensors",
                                      ka[idx].astype(np.float64) + 0.5, kb[m_ab[idx]].astype(np.float64) + 0.5,
                                      scores_ab[idx].astype(np.float64))
    with open(folder + "/pairs.txt", "w") as f:
        f.writelines(f"{a} {b}\n" for a, b, _ in pairs)

    # Malformed variants, each a copy of the good files with one problem.
    def variant(name, edit):
        d = f"{folder}/bad-{name}"
        os.makedirs(d, exist_ok=True)
        for file in ["features.h5", "matches.h5", "pairs.txt"]:
            with open(f"{folder}/{file}", "rb") as src, open(f"{d}/{file}", "wb") as dst:
                dst.write(src.read())
        with h5py.File(d + "/matches.h5", "a") as f:
            edit(f)

    g0 = pair_name("scene/a.jpg", "scene/b.jpg")

    def replace(f, group, name, data):
        del f[group][name]
        f[group].create_dataset(name, data=data)

    variant("dtype", lambda f: replace(f, g0, "matches0", f[g0]["matches0"][()].astype(np.float32)))
    variant("shape", lambda f: replace(f, g0, "matches0", f[g0]["matches0"][()][:-3]))
    variant("range", lambda f: replace(f, g0, "matches0", np.where(f[g0]["matches0"][()] >= 0, len(kpts["scene/b.jpg"]), -1).astype(np.int32)))
    variant("missing", lambda f: f.__delitem__(pair_name("scene/b.jpg", "d.jpg", "_")))

    def foreign(f):
        del f[g0]["matches0"], f[g0]["matching_scores0"]
        f[g0].create_dataset("correspondences", data=np.zeros((5, 4), np.float32))
    variant("foreign", foreign)


def check_export(folder, pairs_file, matches_dir):
    """Reads our export exactly as hloc's io.get_keypoints / get_matches do and compares."""
    pairs = json.load(open(pairs_file))["pairs"]
    root = json.load(open(pairs_file))["root"]
    with h5py.File(folder + "/features.h5", "r") as ff, h5py.File(folder + "/matches.h5", "r") as fm:
        total = 0
        for p in pairs:
            a, b = os.path.relpath(p["imageA"], root), os.path.relpath(p["imageB"], root)
            m0 = fm[pair_name(a, b)]["matches0"][()]
            assert m0.dtype.kind == "i", m0.dtype
            ka, kb = ff[a]["keypoints"][()], ff[b]["keypoints"][()]
            assert len(m0) == len(ka) and ka.shape[1] == 2
            idx = np.where(m0 != -1)[0]
            got_a, got_b = ka[idx] + 0.5, kb[m0[idx]] + 0.5
            ref = read_safetensors(f"{matches_dir}/{p['id']}.matches.safetensors")
            want_a, want_b = ref["kpts_a"].astype(np.float32), ref["kpts_b"].astype(np.float32)
            # --cell 0 keeps every match and its exact coordinates, in order.
            assert got_a.shape == want_a.shape, (p["id"], got_a.shape, want_a.shape)
            assert np.array_equal(got_a, want_a) and np.array_equal(got_b, want_b), p["id"]
            total += len(idx)
    print(f"h5py read {len(pairs)} pairs, {total} matches: identical to the safetensors matches")


if __name__ == "__main__":
    if sys.argv[1] == "write":
        write(sys.argv[2])
    elif sys.argv[1] == "check-export":
        check_export(*sys.argv[2:5])
    else:
        sys.exit(f"unknown command {sys.argv[1]}")

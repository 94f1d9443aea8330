"""Opens a database written by `roma export colmap` with pycolmap, runs COLMAP's
incremental mapping on it and compares the camera centres with the ground truth of
`roma synth --views N` (views.txt), up to a similarity (Umeyama alignment).

  check_colmap.py DATABASE IMAGE_DIR VIEWS_TXT OUT_DIR TOLERANCE

Exits 1 (with the figures printed) unless every view is registered and every aligned
camera centre lies within TOLERANCE scene units of its ground truth.
"""
import sys

import numpy as np
import pycolmap


def umeyama(src, dst):
    """Similarity (s, R, t) minimising sum |s R src_i + t - dst_i|^2 (Umeyama 1991)."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    xs, xd = src - mu_s, dst - mu_d
    cov = xd.T @ xs / len(src)
    U, D, Vt = np.linalg.svd(cov)
    S = np.eye(3)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        S[2, 2] = -1
    R = U @ S @ Vt
    var_s = (xs ** 2).sum() / len(src)
    s = np.trace(np.diag(D) @ S) / var_s
    return s, R, mu_d - s * R @ mu_s


def main(database, images, views_txt, out, tolerance):
    truth = {}
    for line in open(views_txt):
        if line.startswith("#") or not line.strip():
            continue
        f = line.split()
        R, t = np.array(f[5:14], float).reshape(3, 3), np.array(f[14:17], float)
        truth[f[0]] = -R.T @ t
    db = pycolmap.Database.open(database)
    print(f"pycolmap {pycolmap.__version__}: database holds {db.num_images()} images, {db.num_keypoints()} keypoints, "
          f"{db.num_matches()} matches, {db.num_inlier_matches()} verified matches")
    db.close()
    options = pycolmap.IncrementalPipelineOptions()
    options.num_threads = 2
    reconstructions = pycolmap.incremental_mapping(database, images, out, options=options)
    if not reconstructions:
        sys.exit("no reconstruction")
    best = max(reconstructions.values(), key=lambda r: r.num_reg_images())
    names = sorted(truth)
    registered = {im.name: im.projection_center() for im in best.images.values() if im.has_pose}
    print(f"registered {len(registered)} of {len(names)} views, {best.num_points3D()} points, "
          f"mean reprojection error {best.compute_mean_reprojection_error():.3f} px")
    missing = [n for n in names if n not in registered]
    if missing:
        sys.exit(f"views not registered: {missing}")
    est = np.array([registered[n] for n in names])
    gt = np.array([truth[n] for n in names])
    s, R, t = umeyama(est, gt)
    errors = np.linalg.norm((s * (R @ est.T)).T + t - gt, axis=1)
    print(f"camera centres after similarity alignment: max error {errors.max():.5f}, mean {errors.mean():.5f} "
          f"(tolerance {tolerance}; cameras span {np.ptp(gt, axis=0).max():.2f} scene units)")
    if errors.max() > tolerance:
        sys.exit(1)


if __name__ == "__main__":
    main(*sys.argv[1:5], float(sys.argv[5]))

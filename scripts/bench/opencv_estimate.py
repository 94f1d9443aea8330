#!/usr/bin/env python3
"""One relative-pose estimate in its own process, as romatch's estimate_pose does it:
cv2.findEssentialMat (RANSAC, prob 0.99999, maxIters 1000) on K-normalised points with
the threshold divided by mean|K_a[:2,:2]| + mean|K_b[:2,:2]|, then cv2.recoverPose on
each 3x3 block, keeping the one with the most points in front.

Used by `roma-bench geometry` to time an OpenCV process (start-up included) beside a
`roma estimate` process on the same matches. Input: raw little-endian float64,
[fx_a, fy_a, cx_a, cy_a, fx_b, fy_b, cx_b, cy_b, threshold_px, n, then n rows of
x_a, y_a, x_b, y_b]. Output on stdout: the 9 entries of R then the 3 of t, or
"failed".
"""
import sys

import cv2
import numpy as np


def main(path):
    values = np.fromfile(path, dtype="<f8")
    fa, fb, threshold, n = values[0:4], values[4:8], values[8], int(values[9])
    points = values[10:10 + 4 * n].reshape(n, 4)
    ka = np.array([[fa[0], 0, fa[2]], [0, fa[1], fa[3]], [0, 0, 1]])
    kb = np.array([[fb[0], 0, fb[2]], [0, fb[1], fb[3]], [0, 0, 1]])
    a = (points[:, 0:2] - ka[[0, 1], [2, 2]][None]) / ka[[0, 1], [0, 1]][None]
    b = (points[:, 2:4] - kb[[0, 1], [2, 2]][None]) / kb[[0, 1], [0, 1]][None]
    normalized = threshold / (np.mean(np.abs(ka[:2, :2])) + np.mean(np.abs(kb[:2, :2])))
    e, mask = cv2.findEssentialMat(a, b, np.eye(3), threshold=normalized, prob=0.99999, method=cv2.RANSAC)
    if e is None:
        print("failed")
        return
    best = None
    for block in np.split(e, len(e) / 3):
        count, r, t, _ = cv2.recoverPose(block, a, b, np.eye(3), 1e9, mask=mask)
        if best is None or count > best[0]:
            best = (count, r, t)
    print(" ".join(f"{v:.17g}" for v in list(best[1].ravel()) + list(best[2].ravel())))


if __name__ == "__main__":
    main(sys.argv[1])

#!/usr/bin/env python3
"""How an image folder's JPEG files were encoded: the IJG quality whose quantisation tables each
file carries, and its chroma subsampling. Tells a reader how far a JPEG copy of a dataset (such as
the CIFAR-10 copy the experiments use) is from the official pixels.

    python3 scripts/jpeg_quality.py data/cifar10-jpeg

Prints one line per (quality, subsampling) with its number of files; files whose tables match no
IJG quality are counted under quality `custom`. The quality is the q in 1..100 for which libjpeg's scaling of the
standard tables (ITU T.81 Annex K; scale 5000/q below 50, 200 − 2q from 50) reproduces both
tables exactly. Needs Pillow (a venv outside the repo); mr2's tests never run it.
"""
import argparse
import collections
import os
import sys

from PIL import Image, JpegImagePlugin

# ITU T.81 Annex K, natural (row-major) order, as Pillow returns them.
LUMA = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99]
CHROMA = [17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
          24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99] + [99] * 32
SAMPLING = {0: "4:4:4", 1: "4:2:2", 2: "4:2:0"}


def ijg_table(base, q):
    scale = 5000 // q if q < 50 else 200 - 2 * q
    return [min(max((b * scale + 50) // 100, 1), 255) for b in base]


TABLES = {q: (ijg_table(LUMA, q), ijg_table(CHROMA, q)) for q in range(1, 101)}


def quality(tables):
    luma, chroma = list(tables.get(0, [])), list(tables.get(1, []))
    for q, (l, c) in TABLES.items():
        if luma == l and (not chroma or chroma == c):
            return str(q)
    return "custom"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("dir", help="a folder searched recursively for *.jpg / *.jpeg")
    a = p.parse_args()
    if not os.path.isdir(a.dir):
        p.error(f"{a.dir}: not a folder")
    tally = collections.Counter()
    for root, _, files in os.walk(a.dir):
        for f in sorted(files):
            if not f.lower().endswith((".jpg", ".jpeg")):
                continue
            path = os.path.join(root, f)
            try:
                with Image.open(path) as im:
                    if im.format != "JPEG":
                        sys.exit(f"{path}: not a JPEG file ({im.format})")
                    sampling = SAMPLING.get(JpegImagePlugin.get_sampling(im), "other")
                    tally[(quality(im.quantization), sampling)] += 1
            except OSError as e:
                sys.exit(f"{path}: {e}")
    if not tally:
        sys.exit(f"{a.dir}: no .jpg / .jpeg files")
    for (q, s), n in sorted(tally.items(), key=lambda kv: -kv[1]):
        print(f"quality {q}, chroma {s}: {n} file{'' if n == 1 else 's'}")


if __name__ == "__main__":
    main()

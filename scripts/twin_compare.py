#!/usr/bin/env python3
"""Set mr2's twin runs beside PyTorch's (scripts/twin_train_torch.py), seed by seed, and give the
mean difference mr2 − PyTorch with its 95% t-interval (differences of the same seed; the two
sides draw their 10% subsets with different generators, so the pairs are independent draws and
the interval is the plain one-sample t-interval of the differences).

    python3 scripts/twin_compare.py --mr2 results/twin/runs/mr2-erm-kaiming-e30-s{SEED} \
        --torch results/twin/torch-erm-e30-s{SEED}.json --seeds 0,1,2

{SEED} in each pattern is replaced by the seed. Standard library only.
"""
import argparse
import json
import math
import os
import statistics
import sys

# Two-sided 95% quantiles of Student's t, df = 1..30 (standard tables).
T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
        2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
        2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def mr2_run(path):
    with open(os.path.join(path, "summary.json")) as f:
        s = json.load(f)
    return 100.0 * s["overall"], 100.0 * s["train_error"]


def torch_run(path):
    with open(path) as f:
        t = json.load(f)
    return 100.0 * t["test_acc"], 100.0 * t["train_error"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mr2", required=True, help="mr2 run directory pattern with {SEED}")
    p.add_argument("--torch", required=True, help="PyTorch twin JSON pattern with {SEED}")
    p.add_argument("--seeds", required=True, help="comma-separated seeds, e.g. 0,1,2")
    a = p.parse_args()
    try:
        seeds = [int(s) for s in a.seeds.split(",")]
    except ValueError:
        p.error(f"--seeds {a.seeds!r}: give integers separated by commas")
    if len(seeds) > len(T975) + 1:
        p.error(f"at most {len(T975) + 1} seeds")
    d = []
    print("| seed | mr2 test % (train error %) | PyTorch test % (train error %) | mr2 − PyTorch |")
    print("|---|---|---|---|")
    for s in seeds:
        try:
            m, mt = mr2_run(a.mr2.replace("{SEED}", str(s)))
            t, tt = torch_run(a.torch.replace("{SEED}", str(s)))
        except (OSError, KeyError, json.JSONDecodeError) as e:
            sys.exit(f"seed {s}: {e}")
        d.append(m - t)
        print(f"| {s} | {m:.2f} ({mt:.2f}) | {t:.2f} ({tt:.2f}) | {m - t:+.2f} |")
    mean = statistics.fmean(d)
    if len(d) < 2:
        print(f"\nmr2 − PyTorch: {mean:+.2f} points at n = 1 (no interval)")
        return
    half = T975[len(d) - 2] * statistics.stdev(d) / math.sqrt(len(d))
    print(f"\nmr2 − PyTorch: {mean:+.2f} [{mean - half:+.2f}, {mean + half:+.2f}] points (95% t-interval, n = {len(d)})")


if __name__ == "__main__":
    main()

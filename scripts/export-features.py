#!/usr/bin/env python3
"""Export what `bounds --features` needs from a torchvision-style classifier: the penultimate
features (the input of the final linear layer) and labels of the training and test sets, and that
layer's weight and bias, as one .npz (or .safetensors).

    python3 scripts/export-features.py --arch resnet18 --weights model.pt \\
        --dataset cifar10 --root data/cifar --out features.npz [--gamma 1.0 ...]
    cargo run --bin bounds -- --features features.npz

--arch names a torchvision.models constructor (resnet18, resnet50, …) built with --num-classes
outputs; --weights is a state_dict saved with torch.save (omit it to export an untrained model,
e.g. to try the pipeline). --head names the final nn.Linear (default `fc`; `classifier.1` for
efficientnet-style models). --dataset is cifar10, cifar100 (torchvision's files under --root, no
download), imagefolder (--root/train and --root/val), or fake (torchvision FakeData, to test the
script). If the model was trained with per-class margins dividing the logits, pass them with
--gamma (K values). Needs torch, torchvision, numpy (and safetensors for a .safetensors output);
mr2's tests never run it.
"""
import argparse

import numpy as np
import torch
import torchvision
from torchvision import transforms


def datasets(args):
    tf = transforms.Compose([transforms.ToTensor()])
    if args.dataset == "cifar10":
        ds = torchvision.datasets.CIFAR10
        return ds(args.root, train=True, transform=tf), ds(args.root, train=False, transform=tf)
    if args.dataset == "cifar100":
        ds = torchvision.datasets.CIFAR100
        return ds(args.root, train=True, transform=tf), ds(args.root, train=False, transform=tf)
    if args.dataset == "imagefolder":
        tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224), transforms.ToTensor()])
        f = torchvision.datasets.ImageFolder
        return f(f"{args.root}/train", transform=tf), f(f"{args.root}/val", transform=tf)
    fake = torchvision.datasets.FakeData
    size = (3, 32, 32)
    return (fake(120, size, args.num_classes, tf, random_offset=0),
            fake(60, size, args.num_classes, tf, random_offset=1000))


def submodule(model, path):
    for part in path.split("."):
        model = model[int(part)] if part.isdigit() else getattr(model, part)
    return model


@torch.no_grad()
def features(model, head, data, batch, limit):
    feats, labels = [], []
    captured = []
    hook = head.register_forward_hook(lambda m, inp, out: captured.append(inp[0].detach().flatten(1)))
    loader = torch.utils.data.DataLoader(data, batch_size=batch, shuffle=False)
    seen = 0
    for x, y in loader:
        captured.clear()
        model(x)
        feats.append(captured[0].double().numpy())
        labels.append(np.asarray(y, dtype=np.int64))
        seen += len(y)
        if limit and seen >= limit:
            break
    hook.remove()
    f, l = np.concatenate(feats), np.concatenate(labels)
    return (f[:limit], l[:limit]) if limit else (f, l)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="resnet18")
    p.add_argument("--weights")
    p.add_argument("--num-classes", type=int, default=10)
    p.add_argument("--head", default="fc")
    p.add_argument("--dataset", choices=["cifar10", "cifar100", "imagefolder", "fake"], default="fake")
    p.add_argument("--root", default="data")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--limit", type=int, default=0, help="at most this many samples per split (0: all)")
    p.add_argument("--gamma", type=float, nargs="*")
    p.add_argument("--out", default="features.npz")
    args = p.parse_args()
    model = getattr(torchvision.models, args.arch)(num_classes=args.num_classes)
    if args.weights:
        model.load_state_dict(torch.load(args.weights, map_location="cpu"))
    model.eval()
    head = submodule(model, args.head)
    if not isinstance(head, torch.nn.Linear):
        raise SystemExit(f"--head {args.head} is a {type(head).__name__}, not a torch.nn.Linear")
    train, test = datasets(args)
    ftr, ytr = features(model, head, train, args.batch_size, args.limit)
    fte, yte = features(model, head, test, args.batch_size, args.limit)
    arrays = {
        "train_features": ftr,
        "train_labels": ytr,
        "test_features": fte,
        "test_labels": yte,
        "head_weight": head.weight.detach().double().numpy(),
        "head_bias": (head.bias.detach().double().numpy() if head.bias is not None
                      else np.zeros(head.out_features)),
    }
    if args.gamma:
        if len(args.gamma) != head.out_features:
            raise SystemExit(f"--gamma needs {head.out_features} values, got {len(args.gamma)}")
        arrays["gamma"] = np.asarray(args.gamma, dtype=np.float64)
    if args.out.endswith(".safetensors"):
        from safetensors.numpy import save_file
        save_file({k: np.ascontiguousarray(v) for k, v in arrays.items()}, args.out)
    else:
        np.savez(args.out, **arrays)
    print(f"wrote {args.out}: {len(ytr)} training and {len(yte)} test features of dimension {ftr.shape[1]}, "
          f"head {arrays['head_weight'].shape}")


if __name__ == "__main__":
    main()

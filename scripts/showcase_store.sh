#!/bin/sh
# Trains five models on Fashion-MNIST into a store: the README screenshots and the benchmarks
# (bench/latency.py, bench/app_latency.py, bench/memory.py) use it.
# Usage: sh scripts/showcase_store.sh /tmp/showcase-store
set -e
STORE=${1:?store folder}
PY=.venv/bin/python
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family conv --latent-dim 16 --epochs 6 --max-train-images 12000 --name conv-16 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family vae --latent-dim 2 --epochs 10 --max-train-images 12000 --name vae-2 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family denoising --latent-dim 16 --epochs 6 --max-train-images 12000 --noise-level 0.4 --name denoising-16 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family dense --latent-dim 32 --epochs 10 --max-train-images 12000 --name dense-32 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family deep --latent-dim 32 --epochs 10 --max-train-images 12000 --name deep-32 --quiet

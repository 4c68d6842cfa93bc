#!/bin/sh
# Trains the quick-start set on Fashion-MNIST into a store, for the README screenshots.
# Usage: sh scripts/showcase_store.sh /tmp/showcase-store
set -e
STORE=${1:?store folder}
PY=.venv/bin/python
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family conv --latent-dim 16 --epochs 3 --max-train-images 12000 --name conv-16 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family vae --latent-dim 2 --epochs 10 --max-train-images 12000 --name vae-2 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family denoising --latent-dim 16 --epochs 3 --max-train-images 12000 --noise-level 0.4 --name denoising-16 --quiet
$PY -m aecore train --store "$STORE" --dataset fashion_mnist --family dense --latent-dim 32 --epochs 10 --max-train-images 12000 --name dense-32 --quiet

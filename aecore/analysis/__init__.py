"""Analysis: what a trained model's outputs say, as numbers and arrays the pages draw.

`metrics` scores reconstructions (BCE, MSE, PSNR, SSIM); `inspection` computes errors per image,
feature maps, code statistics, latent grids and interpolations; `projections` makes 2-D maps of codes
with their trustworthiness and neighbours; `placement` puts new codes on such a map
(and a map spot back to a code); `probes` measures what a classifier reads off the codes
(k-NN and linear probes, against pixels and PCA); `anomaly` scores images by reconstruction error and by
`codespace`'s distances to the normal training codes (and a VAE's negative ELBO) as a detector of a class the
model never saw; `serieseval` scores every step of a time series from its windows against labelled events; `timeline` aligns the maps of a training's snapshots and draws
them. May use `aecore.data` and `aecore.models`.
"""

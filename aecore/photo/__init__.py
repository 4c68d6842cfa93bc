"""Photo: denoising full-size photos, grey or colour, and the classical denoisers it is measured against.

`tiling` runs a photo model over any size in overlapping tiles; `denoising` denoises one image file
with any stored model (what the CLI and the pages call); `restoring` colourises or unwatermarks one with the restore
models, `tasks` and `watermark` make their training pairs, `gatednet` is the unwatermark network (the photo
network with a gate: only pixels it marks change); `classical` wraps scikit-image's denoisers and the
restoration baselines. The photo dataset and network live in the rooms below (`aecore.data.photos`,
`aecore.models.photonet`); the photo family's trainer is `aecore.training.phototraining`, in the room above. May use
`aecore.data`, `aecore.models`, `aecore.analysis` and `aecore.store`.
"""

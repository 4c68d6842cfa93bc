"""Photo: denoising full-size photos, grey or colour, and the classical denoisers it is measured against.

`tiling` runs a photo model over any size in overlapping tiles (a colour photo's chroma from grey passes, passes
averaged over flips and turns); `denoising` denoises one image file with any stored model (what the CLI and the pages
call); `restoring` colourises or unwatermarks one with the restore models, `tasks` and `watermark` make their training
pairs, `blendnet` is the shipped unwatermark network (a gate, the watermark's opacity and colour per pixel; `gatednet`, the
gate and a correction, is what it starts from), and `unmarking` turns its heads into the photo (marks found by
hysteresis, opacity and colour pooled per mark, the blend inverted), with `repeats` finding the copies of a tiled
stamp from the marks found; `detectnet` holds the watermark detectors
measured against it (a small U-Net, a refiner on the blend network); `classical` wraps scikit-image's denoisers and the
restoration baselines. The photo dataset and network live in the rooms below (`aecore.data.photos`,
`aecore.models.photonet`); the photo family's trainer is `aecore.training.phototraining`, in the room above. May use
`aecore.data`, `aecore.models`, `aecore.analysis` and `aecore.store`.
"""

"""Photo: denoising full-size photos, grey or colour, and the classical denoisers it is measured against.

`tiling` runs a photo model over any size in overlapping tiles; `denoising` denoises one image file
with any stored model (what the CLI and the pages call); `classical` wraps scikit-image's denoisers;
`phototraining` trains the photo family on noisy patches. The photo dataset and network live in the
rooms below (`aecore.data.photos`, `aecore.models.photonet`). The highest room but the CLI: it may use
every other room.
"""

"""The training timeline: one 2-D map per snapshot, aligned so each image moves smoothly from frame to frame.

Each frame's codes get their own PCA map (the code space itself changes while a model learns, so one
projection for all frames would show the last frame's axes on codes that did not have them yet). Then each
map is fitted to the one before it by an orthogonal Procrustes rotation (reflections allowed) and a scale,
so PCA's arbitrary signs and order of axes do not flip the picture between frames. A 2-D code is drawn as it
is (z0 across, z1 up), so its scale shows too: a VAE's codes gathering towards N(0, I). `median_moves` measures
what the alignment buys: each image's median move between consecutive frames, as a share of the map's size.
Frames are drawn as PNG pictures with Pillow alone (points coloured by class, the reconstructions below).
"""

import numpy as np
from PIL import Image, ImageDraw
from scipy.linalg import orthogonal_procrustes
from sklearn.decomposition import PCA

from aecore.errors import ModelError

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#f59e0b", "#9333ea", "#0891b2", "#db2777", "#65a30d", "#ea580c", "#475569"]


def pca_maps(codes: np.ndarray, seed: int = 0) -> np.ndarray:
    """(frames, n, d) -> (frames, n, 2): each frame's own PCA, centred, scaled to unit RMS radius."""
    maps = []
    for frame in np.asarray(codes, np.float32):
        components = min(2, frame.shape[1])
        flat = PCA(n_components=components, random_state=seed).fit_transform(frame) if frame.std() > 0 \
            else np.zeros((len(frame), components), np.float32)
        flat = np.pad(flat, ((0, 0), (0, 2 - components)))
        maps.append(flat / max(float(np.sqrt(np.mean(np.sum(flat ** 2, axis=1)))), 1e-12))
    return np.stack(maps).astype(np.float32)


def aligned_maps(codes: np.ndarray, seed: int = 0) -> np.ndarray:
    """(frames, n, d) -> (frames, n, 2), every frame rotated and scaled onto the frame before it."""
    if len(codes) == 0:
        raise ModelError("this model has no training snapshots: it was imported, or trained with --snapshots off")
    if codes.shape[2] == 2:  # a 2-D code is its own map: z0 across, z1 up, at its true scale (a VAE's pull to N(0, I))
        return np.asarray(codes, np.float32).copy()
    maps = pca_maps(codes, seed)
    for index in range(1, len(maps)):
        rotation, _ = orthogonal_procrustes(maps[index], maps[index - 1])  # (2, 2): best fit onto the last frame
        maps[index] = maps[index] @ rotation
    return maps


def median_moves(maps: np.ndarray) -> np.ndarray:
    """(frames - 1,): per pair of consecutive frames, the median distance an image moved (maps are unit-RMS)."""
    return np.median(np.linalg.norm(np.diff(maps, axis=0), axis=2), axis=1)


def draw_frame(points: np.ndarray, labels: np.ndarray, pictures: np.ndarray, title: str, side: int = 480,
               grid: np.ndarray | None = None) -> Image.Image:
    """One frame: the map (points coloured by label) above a strip of reconstructions, with a title; a 2-D VAE's
    decoded latent grid (rows, columns, h, w, c) to the right of the map."""
    limit = float(np.quantile(np.abs(points), 0.995)) or 1.0
    strip = _strip(pictures, side)
    tiles = None
    if grid is not None:  # (rows, columns, h, w, c) -> one (rows*h, columns*w, c) picture, scaled to the map's side
        tiles = _strip(np.concatenate([np.concatenate(list(row), axis=1) for row in grid])[None], side)
    canvas = Image.new("RGB", (side + (side if tiles else 0), side + strip.height + 24), "white")
    if tiles:
        canvas.paste(tiles, (side, 24))
    draw = ImageDraw.Draw(canvas)
    draw.text((8, 4), title, fill="#111827")
    scale = (side - 24) / (2 * limit)
    for (x, y), label in zip(points, labels):
        px, py = side / 2 + x * scale, 24 + side / 2 - 12 - y * scale
        colour = PALETTE[int(label) % len(PALETTE)] if label >= 0 else "#475569"  # -1: no labels
        draw.ellipse((px - 1.5, py - 1.5, px + 1.5, py + 1.5), fill=colour)
    canvas.paste(strip, (0, side + 24))
    return canvas


def _strip(pictures: np.ndarray, width: int) -> Image.Image:
    """(k, h, w, c) uint8 -> one row, scaled to `width` without smoothing."""
    row = np.concatenate(list(pictures), axis=1)  # (h, k*w, c)
    row = row[..., 0] if row.shape[-1] == 1 else row
    image = Image.fromarray(row)
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.NEAREST).convert("RGB")


def write_frames(snapshots: dict, folder, seed: int = 0) -> list:
    """Every frame as frame_NNN.png in `folder` and all of them as timeline.gif; returns the PNG paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    maps, paths, frames = aligned_maps(snapshots["codes"].astype(np.float32), seed), [], []
    for index, (epoch, loss) in enumerate(zip(snapshots["epochs"], snapshots["losses"])):
        title = f"epoch {epoch:.2f}" if epoch < 1 else f"epoch {epoch:.0f}"
        frame = draw_frame(maps[index], snapshots["labels"], snapshots["reconstructions"][index],
                           f"{title}   loss {loss:.4f}", grid=snapshots["grids"][index] if "grids" in snapshots else None)
        paths.append(folder / f"frame_{index:03d}.png")
        frame.save(paths[-1])
        frames.append(frame)
    frames[0].save(folder / "timeline.gif", save_all=True, append_images=frames[1:], duration=400, loop=0)
    return paths

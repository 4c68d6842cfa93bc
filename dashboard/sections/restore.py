"""The Restore page's colourise and unwatermark sections: your photo at full size through the task's model (the
shipped `photo-<task>`, or the store's own), in tiles under a progress bar; the before/after divider; the
classical anchor beside ours; the result to download at full size.

Nothing loads until a photo is given (the page's first open loads no restore model). The session keeps each task's
last result (by model, photo and options), so the strength slider, the watermark's look and a rerun of the page do
not run the model again unless they change what it sees. (Not st.cache_data: the progress bar is drawn from inside,
and a 12-MP result is ~150 MB.) Longer than 300 lines: both tasks share the upload, progress, kept-result, picture and
download helpers below, and sections do not import each other, so two modules would copy them.
"""

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import streamlit as st

from aecore import errors
from aecore.data import images as image_files
from aecore.photo import classical, restoring, tasks, tiling, watermark
from dashboard.components.compare_slider import compare_slider
from dashboard.state import caches, roles
from dashboard.text import md

SHOWN_SIDE = 640  # longest side of the pictures beside the divider (the download is full size)
UPLOAD_LABEL = "A photo (PNG, JPEG, WebP, BMP or GIF, up to 10 MB)"
DEFAULT_MARK = "© Heritage"  # a held-out word: the model never saw it in training


@dataclass
class Coloured:
    """A colourised photo: what the model predicts, and the result at any strength without running it again."""
    original: np.ndarray | None  # (h, w, 3) the colour photo when one was given (made grey first), else None
    grey: np.ndarray  # (h, w, 3) what the model sees: the brightness as three equal channels
    predicted: np.ndarray  # (h, w, 3) the model's RGB; only its colour (Cb, Cr) is used
    mean: np.ndarray  # (h, w, 3) the plain baseline: the brightness in the training photos' mean colour
    seconds: float

    def at(self, strength: float) -> np.ndarray:
        """(h, w, 3): the grey photo's brightness with the model's colour times `strength` (restoring.colourise)."""
        return tasks.with_luma(self.predicted, self.grey, strength)


# ---------------------------------------------------------------- shared by both tasks

def task_model(task: str) -> tuple[str, str, dict] | None:
    """(name, stamp, meta) of the task's model (the shipped one first), or None after saying how to get one."""
    found = restoring.restore_models(caches.model_store(), task)
    if not found:
        try:
            restoring.default_restore_model(caches.model_store(), task)
        except errors.AecoreError as error:
            st.info(md(error))
        return None
    return found[0].name, caches.stamp_of(found[0].meta), found[0].meta


def held_out(meta: dict) -> tuple[float, float] | None:
    """(damaged, restored) PSNR on the photos its training never saw, from the model's card (None if not measured)."""
    metrics = meta.get("metrics") or {}
    damaged, restored = metrics.get("test_psnr_damaged"), metrics.get("test_psnr")
    return None if damaged is None or restored is None else (float(damaged), float(restored))


def read_upload(upload) -> tuple[np.ndarray, list[str], str] | None:
    """The uploaded photo (h, w, 1 or 3), its notes and digest; None after showing why not (the upload guards of
    aecore.data.images: size, pixels, format; this session's upload budget)."""
    data = upload.getvalue()
    if not roles.allow_upload(data):
        st.warning(roles.UPLOAD_LIMIT_MESSAGE)
        return None
    try:
        photo, notes = image_files.read_photo(data, upload.name)
    except errors.AecoreError as error:
        st.error(md(error))
        return None
    return photo, notes, hashlib.sha256(data).hexdigest()[:16]


def kept(task: str, key: tuple, make):
    """The session's last result of `task` when `key` matches, else make() (the old one freed first)."""
    name = f"restore_result_{task}"
    found = st.session_state.get(name)
    if found is None or found[0] != key:
        st.session_state.pop(name, None)
        st.session_state[name] = found = (key, make())
    return found[1]


def run_with_progress(verb: str, work):
    """work(progress) under a progress bar counting tiles; the bar goes when done, or when it fails."""
    bar = st.progress(0.0, text=f"{verb}…")
    try:
        return work(lambda done, total: bar.progress(done / total, text=f"{verb}: tile {done} of {total}"))
    finally:
        bar.empty()


@st.cache_data(max_entries=4, show_spinner=False)
def png_of(identity: str, _pixels: np.ndarray) -> bytes:
    """The full-size result as PNG bytes, once per `identity` (photo, model, options)."""
    return image_files.to_png_bytes(_pixels)


def shown(pixels: np.ndarray) -> np.ndarray:
    """A smaller copy for the pictures beside the divider (every k-th pixel: cheap, and only for looking)."""
    step = max(1, int(np.ceil(max(pixels.shape[:2]) / SHOWN_SIDE)))
    return np.clip(pixels[::step, ::step], 0, 1)


@st.cache_data(max_entries=32, show_spinner=False)
def psnr_of(identity: str, label: str, _original: np.ndarray, _pixels: np.ndarray) -> float:
    """PSNR at full size, once per result and picture (not again on every rerun of a 12-MP photo)."""
    return restoring.psnr(_original, _pixels)


def show_pictures(pictures: list[tuple[str, np.ndarray]], original: np.ndarray | None, identity: str):
    """Side by side, each captioned with its PSNR against the original when there is one."""
    columns = st.columns(len(pictures))
    for column, (label, pixels) in zip(columns, pictures):
        caption = label
        if original is not None and pixels is not original:
            caption += f" · {psnr_of(identity, label, original, pixels):.2f} dB"
        column.image(shown(pixels), caption=caption, width="stretch")


def identity_of(*parts) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def download(label: str, pixels: np.ndarray, identity: str, file_name: str, key: str):
    height, width = pixels.shape[:2]
    st.download_button(f"{label}, full size ({width}×{height} PNG)", png_of(identity, pixels), file_name, "image/png",
                       key=key, on_click="ignore", icon=":material/download:")


# ---------------------------------------------------------------- colourise

def colourise_section():
    st.subheader("Colourise a photo")
    model = task_model("colourise")
    if model is None:
        return
    name, stamp, meta = model
    scores = held_out(meta)
    st.caption(f"**{md(name)}** sees only a photo's brightness and paints colour on it, keeping the brightness exactly. "
               "A colour photo is made grey first, so you can see what it had; a grey one is coloured. " +
               (f"On photos it never saw: {scores[1]:.2f} dB against the grey input's {scores[0]:.2f} "
                f"({scores[1] - scores[0]:+.2f} dB, RGB PSNR); " if scores else "") +
               "the colours are plausible rather than right, and paler than real ones (sepia skies are common).")
    colourise_panel(name, stamp)


def colourise_photo(name: str, stamp: str, photo: np.ndarray, progress) -> Coloured:
    autoencoder = caches.model(name, stamp)
    restoring.check_model(autoencoder, "colourise")
    colour = np.repeat(photo, 3, axis=-1) if photo.shape[-1] == 1 else photo
    original = colour if photo.shape[-1] == 3 and float(tasks.chroma(colour).std()) > 1e-3 else None
    grey = tasks.grey_input(colour)
    started = time.perf_counter()
    predicted = tiling.denoise(autoencoder, grey, progress=progress)  # what restoring.colourise runs
    seconds = time.perf_counter() - started
    return Coloured(original, grey, predicted, classical.mean_colour(grey), seconds)


@st.fragment
def colourise_panel(name: str, stamp: str):
    upload = st.file_uploader(UPLOAD_LABEL, type=image_files.UPLOAD_TYPES, key="colourise_upload")
    if upload is None:
        st.caption("Upload a colour photo to see it made grey and coloured again, or a grey one to colour it.")
        return
    found = read_upload(upload)
    if found is None:
        return
    photo, notes, digest = found
    try:
        result = kept("colourise", (stamp, digest), lambda: run_with_progress(
            "Colourising", lambda progress: colourise_photo(name, stamp, photo, progress)))
    except errors.AecoreError as error:
        st.error(md(error))
        return
    height, width = result.grey.shape[:2]
    given = "colour, made grey first" if result.original is not None else "grey"
    st.caption(md(" · ".join([f"{width}×{height} px, {given}", f"coloured in {result.seconds:.1f} s", *notes])))
    identity = identity_of("colourise", stamp, digest)
    strength = compare_slider(result.grey, None, identity, "grey input", "coloured",
                              colour=(tasks.luma(result.grey), tasks.chroma(result.predicted)))
    st.caption("Drag across the picture: left of the line the coloured photo, right of it the grey input. The colour "
               "strength repaints in your browser (× 1: as the model predicts; × 1.5 is about as colourful as real "
               "photos); the pictures below and the download follow when you let go.")
    coloured = result.at(strength)
    pictures = [("grey input", result.grey), ("mean colour", result.mean), (f"ours × {strength:.2f}", coloured)]
    show_pictures(pictures + ([("original", result.original)] if result.original is not None else []), result.original,
                  identity)
    st.caption("*Mean colour* is the plain baseline: the brightness with one faint warm tint everywhere, the average "
               "colour of the training photos." + (" Each picture's PSNR is against your original (RGB)."
                                                   if result.original is not None else ""))
    download("Coloured photo", coloured, identity_of(identity, strength), f"{Path(upload.name).stem}-coloured.png",
             "colourise_download")


# ---------------------------------------------------------------- unwatermark

@dataclass(frozen=True)
class MarkOptions:
    """A watermark the user types: text, size (share of the photo's shorter side), opacity, tiled or once."""
    text: str
    size_share: float
    opacity: float
    tiled: bool

    def size_px(self, height: int, width: int) -> int:
        return max(4, min(1000, round(min(height, width) * self.size_share)))


def unwatermark_section():
    st.subheader("Remove a watermark")
    model = task_model("unwatermark")
    if model is None:
        return
    name, stamp, meta = model
    unwatermark_note(name, held_out(meta))
    unwatermark_panel(name, stamp)


def unwatermark_note(name: str, scores: tuple[float, float] | None):
    """What the model can do, from its card: a warning while it scores under the watermarked photo plus 5 dB."""
    measured = (f"On held-out photos with watermarks in fonts and words it never saw it scores {scores[1]:.2f} dB "
                f"against the watermarked photo's {scores[0]:.2f} ({scores[1] - scores[0]:+.2f} dB; the goal is +5). "
                if scores else "It has no held-out score on its card. ")
    if scores and scores[1] - scores[0] >= 5:
        st.caption(f"**{md(name)}** removes watermarks. " + measured)
        return
    st.warning(f"**{md(name)}** is not there yet. " + measured + "It is cautious: what it does not take for a "
               "watermark comes out exactly as it went in, but in a font it never saw it finds too little of the mark, "
               "so much of it stays. Inpainting told where the watermark is scores about 5.5 dB above the watermarked "
               "photo (bench/RESULTS.md); the page shows it beside ours when the watermark is one you type here.",
               icon=":material/science:")


def mark_options() -> MarkOptions | None:
    """The watermark to add from the widgets, or None for a photo that is already watermarked."""
    source = st.radio("Watermark", ("typed", "own"), horizontal=True, key="watermark_source",
                      format_func={"typed": "Add one I type", "own": "My photo is already watermarked"}.get)
    if source == "own":
        return None
    text_column, size_column, opacity_column = st.columns([2, 1, 1])
    text = text_column.text_input("Text", DEFAULT_MARK, max_chars=60, key="watermark_text")
    size = size_column.slider("Size, % of the short side", 2, 30, 8, key="watermark_size")
    opacity = opacity_column.slider("Opacity", 0.1, 1.0, 0.5, 0.05, key="watermark_opacity")
    tiled = st.toggle("Tiled over the photo (off: once, in the middle)", True, key="watermark_tiled")
    return MarkOptions(text, size / 100, float(opacity), bool(tiled))


def unwatermark_photo(name: str, stamp: str, photo: np.ndarray, options: MarkOptions | None,
                      progress) -> restoring.RestoreResult:
    """restoring.restore_pixels for unwatermark, with the typed watermark's size, opacity and tiling."""
    autoencoder = caches.model(name, stamp)
    restoring.check_model(autoencoder, "unwatermark")
    colour = np.repeat(photo, 3, axis=-1) if photo.shape[-1] == 1 else photo
    original, damaged, mask = None, colour, None
    if options is not None:
        height, width = colour.shape[:2]
        mark = watermark.text_watermark(height, width, options.text, options.size_px(height, width), options.opacity,
                                        tiled=options.tiled)
        original, damaged, mask = colour, mark.apply(colour), mark.mask()
    started = time.perf_counter()
    restored = restoring.unwatermark(autoencoder, damaged, progress)
    return restoring.RestoreResult("unwatermark", original, damaged, restored, time.perf_counter() - started, mask)


@st.fragment
def unwatermark_panel(name: str, stamp: str):
    upload = st.file_uploader(UPLOAD_LABEL, type=image_files.UPLOAD_TYPES, key="unwatermark_upload")
    options = mark_options()
    if upload is None:
        st.caption("Upload a clean photo and type a watermark to add, so the result can be scored against it; or "
                   "upload a watermarked photo.")
        return
    found = read_upload(upload)
    if found is None:
        return
    photo, notes, digest = found
    try:
        result = kept("unwatermark", (stamp, digest, options), lambda: run_with_progress(
            "Removing the watermark", lambda progress: unwatermark_photo(name, stamp, photo, options, progress)))
    except errors.AecoreError as error:
        st.error(md(error))
        return
    height, width = result.damaged.shape[:2]
    st.caption(md(" · ".join([f"{width}×{height} px", f"unwatermarked in {result.seconds:.1f} s", *notes])))
    identity = identity_of("unwatermark", stamp, digest, options)
    compare_slider(result.damaged, result.restored, identity, "watermarked", "ours")
    st.caption("Drag across the picture: left of the line our result, right of it the watermarked photo.")
    pictures = [("watermarked", result.damaged), ("ours", result.restored)]
    if result.mask is not None:
        inpainted, seconds = oracle_of(identity, result)
        pictures.append((f"inpainting, told where · {seconds:.1f} s", inpainted))
        pictures.append(("original", result.original))
    show_pictures(pictures, result.original, identity)
    st.caption("*Inpainting told where* is scikit-image's biharmonic inpainting given the watermark's exact pixels: "
               "the classical anchor, and it cheats (a real watermarked photo does not say where its mark is)."
               if result.mask is not None else
               "Inpainting needs to be told where the watermark is, so it runs only on a watermark you add here.")
    download("Our result", result.restored, identity, f"{Path(upload.name).stem}-unwatermarked.png",
             "unwatermark_download")


def oracle_of(identity: str, result: restoring.RestoreResult) -> tuple[np.ndarray, float]:
    """classical.oracle_inpaint on the watermarked photo, once per result (kept in the session beside it)."""
    with st.spinner("Inpainting, told where the watermark is…"):
        return kept("oracle", identity, lambda: classical.oracle_inpaint(result.damaged, result.mask))

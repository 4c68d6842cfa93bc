"""The Denoise page's "Your own photos" section: a photo model at full size, against classical denoisers.

Photos never go through the small-image models (28x28 and the like): a photo model (family "photo") from the store denoises the
whole photo in tiles: the best one there is, which on a first visit is the model shipped with aecore. With
none at all (a copy without it), a button queues one (dashboard.state.job_runner) and a bar follows it.
"""

import hashlib
from pathlib import Path

import numpy as np
import streamlit as st

from aecore.analysis import metrics
from aecore.data import images as image_files
from aecore.errors import AecoreError
from aecore.photo import classical, denoising
from dashboard.components.compare_slider import compare_slider
from dashboard.state import caches, roles
from dashboard.state.job_runner import JobSpec
from dashboard.text import md

ZOOM_SIDE = 256  # pixels of the 1:1 region
PHOTO_JOB = JobSpec("photo", "photos", name="photo-denoiser")


def photo_entries() -> list:
    """The photo models, best first (the shipped one included): the first is the page's default."""
    return denoising.photo_models(caches.model_store())


def denoise_photo(model_name: str, stamp: str, digest: str, data: bytes, file_name: str, sigma: int,
                  progress) -> denoising.DenoiseResult:
    """The session's last result, kept by model, file digest and noise, so the zoom and the comparisons rerun
    without the model. (Not st.cache_data: the progress bar is drawn from inside, and a 12-MP result is ~150 MB.)"""
    key = (model_name, stamp, digest, sigma)
    kept = st.session_state.get("photo_result")
    if kept is None or kept[0] != key:
        st.session_state.pop("photo_result", None)  # free the old photo before the new one is made
        model = caches.model(model_name, stamp)
        result = denoising.denoise_bytes(model, data, file_name, "gaussian", sigma / 255, 0, progress)
        st.session_state["photo_result"] = kept = (key, result)
    return kept[1]


@st.cache_data(max_entries=4, show_spinner=False)
def png_of(digest: str, stamp: str, sigma: int, _pixels: np.ndarray) -> bytes:
    """The full-size result as PNG bytes, once per photo, model version and noise level."""
    return image_files.to_png_bytes(_pixels)


def section():
    st.subheader("Your own photos")
    entries = photo_entries()
    if not entries:
        training_panel()
        return
    names = [entry.name for entry in entries]
    name = st.selectbox("Photo model", names, key="photo_model") if len(names) > 1 else names[0]
    meta = next(entry.meta for entry in entries if entry.name == name)
    score = meta.get("metrics", {}).get("test_psnr_sigma25")
    st.caption(f"**{md(name)}** denoises at full size, grey or colour, without being told the noise level"
               + (f" (held-out photos at σ 25: {score:.1f} dB)." if score else "."))
    photo_panel(name, caches.stamp_of(meta))
    if all(entry.meta.get("shipped") for entry in entries):
        with st.expander("Train your own photo model"):
            training_panel(first=False)


def photo_job():
    return next((job for job in caches.job_runner().active_jobs() if job.spec.family == "photo"), None)


def training_panel(first: bool = True):
    """No photo model of the user's own: offer to train one, and follow it (polling every 2 s) only while it
    runs: a polling fragment on every visit made Streamlit drop reruns under load (see sidebar._watch_store).
    `first`: there is no photo model at all (a copy of aecore without the shipped one)."""
    @st.fragment(run_every=2 if photo_job() else None)
    def panel():
        job = photo_job()
        if job is None and any(not entry.meta.get("shipped") for entry in photo_entries()):
            st.rerun(scope="app")  # the model landed: show the photo tools with it
        if job is None:
            failed = next((old for old in caches.job_runner().recent(3) if old.spec.family == "photo"), None)
            if failed is not None and failed.status == "failed":
                st.warning(f"The last photo training failed: {md(failed.message)}")
            if first:
                st.info("There is no photo model yet. Photos need one: the models below only see small pictures of one size.")
            else:
                st.caption("The shipped model above trained for over an hour on 415 photos; a 10-minute model on the "
                           "bundled photos shows what training does, and scores lower.")
            visitor = roles.current()
            if not roles.may_train(visitor):
                st.caption("The owner of this dashboard trains photo models.")
                return
            if st.button("Train a photo model (about 10 minutes)", key="train_photo", icon=":material/model_training:"):
                try:
                    caches.job_runner().submit(PHOTO_JOB, visitor)
                    st.rerun(scope="app")  # again, now polling
                except roles.NotAllowed as error:
                    st.error(md(error))
            return
        show_job(job)
    panel()


def show_job(job):
    """The running (or queued) photo training as a progress bar."""
    progress = job.progress
    fraction = progress.fraction if progress else 0.0
    text = (f"Training the photo model: epoch {progress.epoch}/{progress.epochs}"
            + (f", about {progress.eta / 60:.0f} min left" if progress.eta else "") if progress else
            f"Training the photo model: {'waiting in the queue' if job.status == 'queued' else 'starting'}…")
    st.progress(fraction, text=text)


@st.fragment
def photo_panel(model_name: str, stamp: str):
    upload = st.file_uploader("A photo (PNG, JPEG, WebP, BMP or GIF, up to 10 MB)", type=image_files.UPLOAD_TYPES, key="photo_upload")
    sigma = st.slider("Add noise first (σ, of 255)", 0, 50, 0, key="photo_noise",
                      help="For a clean photo: adds Gaussian noise, so the result can be scored against your original.")
    if upload is None:
        st.caption("Upload a noisy photo to clean it, or a clean one and add noise to see what the model recovers.")
        return
    data = upload.getvalue()
    if not roles.allow_upload(data):
        st.warning(roles.UPLOAD_LIMIT_MESSAGE)
        return
    digest = hashlib.sha256(data).hexdigest()[:16]
    bar = st.progress(0.0, text="Denoising…")
    try:
        result = denoise_photo(model_name, stamp, digest, data, upload.name, sigma,
                               lambda done, total: bar.progress(done / total, text=f"Denoising: tile {done} of {total}"))
    except AecoreError as error:
        bar.empty()
        st.error(md(error))
        return
    bar.empty()
    height, width, channels = result.denoised.shape
    kind = "grey" if channels == 1 else "colour"
    st.caption(f"{width}×{height} px, {kind} · denoised in {result.seconds:.1f} s" +
               (" · " + " · ".join(result.notes) if result.notes else ""))
    before = "noisy input" if sigma else "your photo"
    compare_slider(result.noisy, result.denoised, f"{digest}-{stamp}-{sigma}", before, "denoised")
    st.caption("Drag across the picture: left of the line is the denoised photo, right of it the input.")
    if sigma:
        show_scores(scores_of(digest, stamp, sigma, result))
    stem = Path(upload.name).stem
    st.download_button(f"Denoised photo, full size ({width}×{height} PNG)", png_of(digest, stamp, sigma, result.denoised),
                       f"{stem}-denoised.png", "image/png", key="photo_download", on_click="ignore",
                       icon=":material/download:")
    zoom(result, sigma)


@st.cache_data(max_entries=4, show_spinner="Scoring against your original…")
def scores_of(digest: str, stamp: str, sigma: int, _result: denoising.DenoiseResult) -> dict:
    """PSNR and SSIM at full size, once per photo, model and noise level (not on every zoom move)."""
    return _result.scores()


def show_scores(scores: dict):
    psnr_column, ssim_column = st.columns(2)
    psnr_column.metric("PSNR against your original", f"{scores['psnr_denoised']:.2f} dB",
                       f"{scores['psnr_denoised'] - scores['psnr_noisy']:+.2f} dB vs the noisy input")
    ssim_column.metric("SSIM against your original", f"{scores['ssim_denoised']:.3f}",
                       f"{scores['ssim_denoised'] - scores['ssim_noisy']:+.3f} vs the noisy input")


def zoom(result: denoising.DenoiseResult, sigma: int):
    """A 1:1 region of the input, ours and, on request, the classical denoisers with their times."""
    st.markdown("**1:1 zoom**")
    height, width = result.denoised.shape[:2]
    x_column, y_column = st.columns(2)
    x_share = x_column.slider("Region, left to right", 0, 100, 50, key="zoom_x", format="%d%%")
    y_share = y_column.slider("Region, top to bottom", 0, 100, 50, key="zoom_y", format="%d%%")
    side_y, side_x = min(ZOOM_SIDE, height), min(ZOOM_SIDE, width)
    top, left = round((height - side_y) * y_share / 100), round((width - side_x) * x_share / 100)
    region = (slice(top, top + side_y), slice(left, left + side_x))
    pictures = [("original", result.clean[region], None)] if sigma else []
    pictures += [("noisy input" if sigma else "your photo", result.noisy[region], None),
                 ("photo model", result.denoised[region], result.seconds)]
    compare = st.toggle("Compare with classical denoisers (scikit-image, on this region)", key="photo_classical")
    if compare:
        noise_level = sigma / 255 if sigma else classical.estimate_sigma(result.noisy[region])
        for method in classical.METHODS:
            denoised, seconds = classical.run(method, result.noisy[region], noise_level)
            pictures.append((method, denoised, seconds))
        how = "the noise you added" if sigma else "estimated from the region"
        st.caption(f"The classical methods are told σ = {noise_level * 255:.1f} ({how}); the photo model is not. "
                   "Times: the classical ones on this region, the photo model on the whole photo.")
    show_crops(pictures, result.clean[region] if sigma else None, left, top)


def show_crops(pictures: list, original: np.ndarray | None, left: int, top: int):
    columns = st.columns(3)
    for index, (label, pixels, seconds) in enumerate(pictures):
        caption = label + (f" · {seconds:.2f} s" if seconds is not None else "")
        if original is not None and label != "original":
            caption += f" · {float(metrics.psnr(original[None], pixels[None])[0]):.2f} dB"
        shown = pixels[..., 0] if pixels.shape[-1] == 1 else pixels
        columns[index % 3].image(np.clip(shown, 0, 1), caption=caption, width=pixels.shape[1], clamp=True)
    st.caption(f"Pixels {left}–{left + pictures[0][1].shape[1]} across, {top}–{top + pictures[0][1].shape[0]} down, "
               "shown at 1:1 (one photo pixel per screen pixel at 100% zoom).")

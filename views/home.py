"""Home: what this is, a one-click quick start for an empty store, and where to go next."""

import streamlit as st

from dashboard.state import caches, job_runner, roles, sidebar, warmup
from dashboard.text import md

context = sidebar.sidebar(page="home", watch_store=True)
runner = caches.job_runner()

st.title("Autoencoder Explorer")
st.markdown("An autoencoder squeezes each image into a short **code** and rebuilds the image from it. "
            "Train a few models, then look inside: what they rebuild, what their layers respond to, "
            "how the codes arrange the data, what the space between codes looks like, and how well they remove noise.")

if not context.entries and not runner.active_jobs() and roles.may_train(context.visitor):
    runner.stand_by(context.dataset_name)  # a worker loads TensorFlow while the visitor reads: the first model lands sooner
    st.subheader("Quick start")
    st.write(f"Trains four small models on **{md(context.dataset_name)}** in the background: a convolutional "
             "autoencoder, a variational one (2-D latent space), a denoising one and a dense one. "
             "It takes about a minute on two cores; the pages fill in as each model lands, the first within seconds.")
    if st.button("Start the quick start", type="primary"):
        try:
            workers = job_runner.quick_start_workers()
            for spec in job_runner.quick_start_queue(context.dataset_name, len(context.dataset.x_train)):
                job_runner.remember(runner.submit(spec, context.visitor, workers))
            st.rerun()
        except roles.NotAllowed as error:
            st.error(md(error))


NEXT_PAGES = [("views/reconstructions.py", "Reconstructions: what each model rebuilds"),
              ("views/latent_map.py", "Latent map: every image of the dataset on a map of its codes"),
              ("views/timeline.py", "Training timeline: watch the codes take shape")]


def quick_progress(live: bool):
    """One line while the quick start runs (the sidebar says the same), then "done" and where to go next, for
    the session that started it. Redrawn every second while `live` (its jobs active) only: when they end, the
    page reruns once and this stops polling."""
    jobs = job_runner.quick_jobs(runner.jobs)
    if not jobs:
        return
    if not any(job.active for job in jobs):
        if live:
            st.rerun()
        if any(job_runner.is_mine(job) for job in jobs):
            saved = sum(job.status == "done" for job in jobs)
            if saved == len(jobs):
                st.success(f"Quick start done: all {saved} models are saved. Where to go next:",
                           icon=":material/check_circle:")
            else:
                st.warning(f"Quick start ended: {saved} of {len(jobs)} models saved (the others were stopped or "
                           "failed: the Train page says why). Where to go next:", icon=":material/info:")
            for page, label in NEXT_PAGES:
                st.page_link(page, label=label, icon=":material/arrow_forward:")
        return
    fraction, label = job_runner.status_line(jobs)
    st.progress(fraction, text=label)
    for job in jobs:
        state = job.state()  # one read per job: its process may finish while this draws
        icon = {"done": ":material/check_circle:", "running": ":material/hourglass_top:", "queued": ":material/schedule:",
                "failed": ":material/error:", "cancelled": ":material/stop_circle:"}[state["status"]]
        place = f" (number {job.position} in the training queue)" if state["status"] == "queued" and job.position else ""
        st.caption(f"{icon} {job.spec.family}{place}" + (f": {md(state['message'])}" if state.get("message") else ""))


live = any(job.active for job in job_runner.quick_jobs(runner.jobs))
st.fragment(run_every=1 if live else None)(quick_progress)(live)

st.subheader("Explore")
for page, title, text in [
    ("views/train.py", "Train / load", "train any of ten families with live loss curves, or load, import, download and delete models"),
    ("views/datasets.py", "Datasets", "the built-in datasets as pictures, and your own images (a zip or an .npz) added as one"),
    ("views/reconstructions.py", "Reconstructions", ("originals above reconstructions, the worst-rebuilt images, up to three "
                                                     "models side by side, and how well their codes tell the classes apart")),
    ("views/feature_maps.py", "Feature maps", "what every convolutional layer responds to, and the codes themselves"),
    ("views/latent_map.py", "Latent map", ("UMAP, t-SNE and PCA maps of the codes of every image of the dataset "
                                           "(70,000 for Fashion-MNIST), each image shown on hover; click a point for "
                                           "its neighbours")),
    ("views/timeline.py", "Training timeline", "replay how the codes organised themselves while the model learned, epoch by epoch, in your browser"),
    ("views/latent_sampler.py", "Latent sampler", "the decoder runs in your browser: pictures follow the sliders and the mouse over a latent plane"),
    ("views/denoise.py", "Restore", ("drag the noise level and watch the model clean up; denoise, colourise or unwatermark "
                                     "your own photos at full size")),
    ("views/anomaly.py", "Anomalies", ("a model trained without one class flags it, by its reconstruction error or where its "
                                       "code lands: ROC, threshold, PCA beside it; on a series, the rare events in time")),
]:
    link, words = st.columns([1, 4])  # a page link's label never wraps: the words beside it do
    link.page_link(page, label=f"**{title}**")
    words.markdown(text)

if context.model is not None:
    result = context.meta.get("metrics", {})
    st.caption(f"Active model: **{md(context.model_name)}** ({context.model.family}, latent {context.model.latent_dim}) · "
               f"test PSNR {result.get('test_psnr', float('nan')):.1f} dB · SSIM {result.get('test_ssim', float('nan')):.3f}")

if context.entries or runner.active_jobs():  # models here or coming: the explore pages will want Keras and them
    warmup.warm_up(context.dataset_name)  # drawn: a thread loads them, and no visitor's page waits for it

"""Training timeline: the latent space forming while the model learned, replayed in the browser."""

import streamlit as st

from dashboard.components import timeline_player
from dashboard.sections import timeline
from dashboard.state import caches, sidebar
from dashboard.text import md

context = sidebar.sidebar(page="timeline", watch_store=True)
st.title("Training timeline")
st.caption(f"While a model trains, its codes of the same test {context.noun}s (up to 2,000) are kept a few times in "
           "the first epoch "
           "(where most happens) and after every epoch. Each snapshot becomes a map, turned to match the one before "
           f"it, so every {context.noun} moves instead of jumping. Press Play, or drag the epoch slider: it runs in your "
           "browser.")

runner = caches.job_runner()
running = [job for job in runner.active_jobs() if job.status == "running" and job.spec.dataset == context.dataset_name]
watch = None
if running:
    choices = {job.id: f"{job.spec.name or job.spec.family} (training now)" for job in running}
    watch = st.selectbox("Watch", [None, *choices], index=1, format_func=lambda key: "the sidebar's model" if key is None
                         else choices[key], key="timeline-watch", help="A training in progress opens first: its "
                         "codes so far, redrawn as snapshots land. Pick the sidebar's model to replay a finished one.")


@st.fragment(run_every=3 if watch else None)
def live():
    """A training in progress: its snapshots so far, redrawn as new ones land."""
    job = next((job for job in runner.active_jobs() if job.id == watch), None)
    if job is None or job.status != "running":  # it finished (or stopped): the whole page shows what there is now
        st.rerun()
    path = job.path / "snapshots.npz"
    if not path.is_file():
        st.info("Waiting for the first snapshot (1% into the first epoch)…")
        return
    modified = path.stat().st_mtime
    found = timeline.live_frames(str(path), modified)
    if found is not None:
        st.caption(f"{len(found['epochs'])} snapshots so far; the newest at epoch "
                   f"{timeline_player.frame_label(found['epochs'][-1])}. The player stays on the newest while you leave it there.")
        timeline_player.player(timeline.message(f"live-{job.id}", modified, found, context.dataset), key="timeline-live")


if watch:
    live()
    st.stop()
sidebar.require_model(context, "The training timeline")
found = timeline.stored_frames(context.model_name, context.stamp)
if found is None:
    st.info(f"**{md(context.model_name)}** has no training snapshots: it was imported, trained with snapshots off, or "
            "trained before they existed. Train a model (any family) to watch its latent space form.",
            icon=":material/timeline:")
    st.page_link(sidebar.TRAIN_PAGE, label="Train one", icon=":material/model_training:")
    st.stop()
timeline_player.player(timeline.message(f"{context.model_name}-{context.stamp}", 0.0, found, context.dataset), key="timeline")
st.caption(f"{len(found['epochs'])} snapshots of {found['codes'].shape[1]:,} test {context.noun}s. "
           + ("Beside the map: the kept windows as curves, then each one in grey with that snapshot's reconstruction "
              "over it in amber. " if context.is_series else "")
           + "`python -m aecore timeline MODEL --out frames/` writes the frames as PNGs and a GIF, for slides.")

"""Train / load: start a training job, watch it live, and manage the stored models."""

import streamlit as st

from aecore.models import families
from aecore.training import loop  # the form's settings, without Keras
from dashboard import plots
from dashboard.sections import importer, train_form
from dashboard.state import caches, job_runner, roles, sidebar
from dashboard.state.job_runner import JobSpec
from dashboard.text import md

context = sidebar.sidebar(page="train", watch_store=True)
runner = caches.job_runner()
st.title("Train / load")
st.caption("Training runs in the background: explore other pages meanwhile; the model lands in the store when done.")


def training_form():
    """The form that queues a training for this session (the runner checks the role again)."""
    offered, default = train_form.offered_families(context.is_series)
    family_name = st.selectbox("Family", offered, key=f"train-family-{context.noun}", index=offered.index(default),
                               format_func=lambda name: f"{name}: {families.FAMILIES[name].summary}",
                               help=train_form.FAMILY_HELP[context.is_series])
    family = families.FAMILIES[family_name]
    if family_name == "stacked":
        st.info("Trained in stages, as the classic stacked autoencoders were: first each layer learns, on its own, to "
                "rebuild the layer below it (the pixels, then the first layer's codes, and so on up to the code), each "
                "stage's loss a curve of its own. Then the whole stack is fine-tuned end to end; set noise to make "
                "every stage a denoising autoencoder (SdA), or pretrain off to train the same network end to end only.",
                icon=":material/layers:")
    classes = context.dataset.class_names or sorted({int(label) for label in context.dataset.y_train}) \
        if context.dataset.y_train is not None else []
    if context.is_series:  # a series' labels mark anomalous steps: the training part is taken as normal as it is
        classes = []
    if note := train_form.small_set_note(len(context.dataset.x_train), family_name):
        st.warning(note, icon=":material/warning:")
    with st.form("train", enter_to_submit=False):  # Enter in a number box once started a training at once
        left, right = st.columns(2)
        right.text_input("Dataset", context.dataset_name, disabled=True, help="Change it in the sidebar.")
        latent = left.number_input("Latent size", 1, 4096, family.latent_dim, help="Code size; the family's default is preselected.")
        epochs = right.number_input("Epochs (0 = the family's default)", 0, 500, 0)
        batch = left.number_input("Batch size (0 = default)", 0, 4096, 0)
        rate = right.number_input("Learning rate (0 = default)", 0.0, 1.0, 0.0, format="%.4f")
        seed = left.number_input("Seed", 0, 2**31 - 1, 0)
        limit = right.number_input(f"Train on the first N {context.noun}s (0 = all)", 0, 1_000_000, 0)
        schedule = left.selectbox("Learning-rate schedule", loop.SCHEDULES,
                                  help="cosine lowers the rate to 5% over the epochs: a lower final loss on long runs.")
        # A static placeholder: one that followed the form's values changed the widget's identity on submit.
        name = st.text_input("Name (optional)", placeholder="family-dataset-latent", key="train-name")
        left_out = st.selectbox("Leave out a class (anomaly detection)", [None, *range(len(classes))], key="train-exclude",
                                format_func=lambda index: "none: train on every class" if index is None else
                                f"{index}: {classes[index]}", disabled=not classes,
                                help="Train on the other classes only; the Anomalies page then scores how well the "
                                     "reconstruction error flags this class, which the model never saw. (On a series "
                                     "the training part is taken as normal: the Anomalies page scores every step.)")
        options = train_form.family_options(family_name)
        submitted = st.form_submit_button("Start training", type="primary")

    if submitted:
        config = loop.TrainConfig(epochs=epochs or None, batch_size=batch or None, learning_rate=rate or None,
                                      seed=int(seed), max_train_images=limit or None, schedule=schedule,
                                      exclude_class=left_out)
        try:
            job_runner.remember(runner.submit(JobSpec(family_name, context.dataset_name, int(latent), options, config,
                                                      name or None), context.visitor))
            st.toast(f"Training {family_name} queued")
        except roles.NotAllowed as error:
            st.error(md(error))


if roles.may_train(context.visitor):
    training_form()
else:
    st.info("You are exploring as a viewer: the owner of this dashboard trains, imports and deletes models. "
            "Every other page works with the models here.", icon=":material/visibility:")


def stop(job_id: str):
    try:
        runner.cancel(job_id, context.visitor)  # checks the role again: a forged click changes nothing
    except roles.NotAllowed as error:
        st.toast(md(error))


@st.fragment(run_every=1)
def live_jobs():
    """Every running and queued job of every session and of `python -m aecore train`: each is its own process."""
    for job in runner.active_jobs():
        state = job.state()  # one read: the process may finish while this draws
        if state["status"] == "queued":
            st.info(f"Queued: {job.spec.family} on {md(job.spec.dataset)}, number {job.position} in the queue "
                    f"({runner.max_jobs} at a time; `AECORE_MAX_JOBS` sets it).", icon=":material/schedule:")
            if runner.may_stop(job, context.visitor):
                st.button("Stop", key=f"stop-{job.id}", on_click=stop, args=(job.id,), type="secondary",
                          help="It never starts; nothing is saved.")
            continue
        st.subheader(f"Training {job.spec.family} on {md(job.spec.dataset)}")
        progress = job.progress
        if progress is None:
            st.progress(0.0, text="Loading the data and building the model…")
        else:
            eta = f", about {progress.eta:.0f} s left" if progress.eta is not None else ""
            st.progress(progress.fraction, text=f"Epoch {progress.epoch}/{progress.epochs}, batch {progress.batch}/{progress.batches}{eta}")
            st.caption("  ·  ".join(f"{key} {value:.4f}" for key, value in progress.logs.items()))
            if progress.history:
                st.plotly_chart(plots.loss_curves(progress.history), key=f"curves-{job.id}")
            if job.spec.config.snapshots == "on" and job.spec.dataset == context.dataset_name:
                st.page_link("views/timeline.py", label="Watch its codes take shape on the Training timeline",
                             icon=":material/timeline:")
        if runner.may_stop(job, context.visitor):
            st.button("Stop", key=f"stop-{job.id}", on_click=stop, args=(job.id,), type="secondary")
    for job in runner.recent(5):
        mine = job_runner.is_mine(job)  # "Saved" is told to the session that asked; failures also to the owner
        if not mine and not context.visitor.is_owner:
            continue
        state = job.state()
        if state["status"] == "done" and state.get("model_name") and mine:
            st.success(f"Saved **{md(state['model_name'])}** ({job.spec.family} on {md(job.spec.dataset)}).")
        elif state["status"] == "failed":
            st.error(f"{job.spec.family}: {md(state.get('message', ''))}")
        elif state["status"] == "cancelled":
            st.warning(f"{job.spec.family}: {md(state.get('message', ''))}")


live_jobs()

st.header("Your models")
train_form.model_cards(caches.model_store(), context.visitor)

if context.visitor.is_owner:
    with st.expander("Import a .keras file (bring your own model)", expanded=bool(st.session_state.get("import-model"))):
        importer.import_section()

if context.model is not None:
    with st.expander(f"Architecture of {md(context.model_name)}", expanded=False):
        rows = context.model.architecture()
        st.dataframe(rows, hide_index=True)
        st.caption(f"{context.model.count_params():,} parameters in all; code shape {context.model.code_shape}.")
        if context.meta.get("history"):
            st.plotly_chart(plots.loss_curves(context.meta["history"], "Training history"))

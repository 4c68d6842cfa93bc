"""Widgets the Train page builds from the engine's tables: family options and model cards."""

import dataclasses

import streamlit as st

from aecore.data.noise import NOISE_KINDS
from aecore.errors import AecoreError
from aecore.models import families
from dashboard.state import roles, sidebar
from dashboard.text import md

CHOICES = {"sparsity": ["l1", "kl"], "code": ["flat", "spatial"], "sampling": ["strided", "pooling"], "noise": list(NOISE_KINDS), "variant": ["dense", "conv"]}


SMALL_SET = 500  # fewer training images than this: most families learn the average image and little else
FAMILY_HELP = {False: "Photo denoisers (any size, colour) are trained on the Denoise page, under \"Your own photos\". "
                      "The sequence families (conv1d, lstm_seq) show when the sidebar's dataset is a time series.",
               True: "A time series trains a sequence family on its windows: conv1d (keras.io's Conv1D autoencoder, "
                     "the default: fast) or lstm_seq (the LSTM autoencoder of the rare-event article: slower)."}


def offered_families(series: bool) -> tuple[list[str], str]:
    """(the families the Train form offers, the one preselected): the sequence families on a series, else the
    families of one image size (the photo family trains on photos, from the Denoise page)."""
    if series:
        return families.series_families(), families.SERIES_FAMILY
    return families.fixed_size_families(), families.RECOMMENDED_FAMILY


def small_set_note(train_images: int, family: str) -> str | None:
    """What to expect of a model trained on a set this small, or None: a dense model of 150 epochs on 50 images
    rebuilt every image as the same blob, and nothing said why. Not said of the sequence families: a series of a
    few thousand steps gives a few hundred windows, which they learn from (KDD-TSAD 135: 293 windows, AUC 0.89)."""
    if train_images >= SMALL_SET or family in families.series_families():
        return None
    return (f"Only {train_images:,} training images: too few for a {family} model to learn much more than the "
            "average image, so its reconstructions may all look alike. A few thousand images help most; else a "
            "conv model with a small latent size and few epochs.")


def family_options(family_name: str) -> dict:
    """One widget per field of the family's options dataclass, its default preselected."""
    fields = dataclasses.fields(families.FAMILIES[family_name].options)
    if not fields:
        st.caption(f"The {family_name} family has no options of its own.")
        return {}
    values, columns = {}, st.columns(min(3, len(fields)))
    for index, field in enumerate(fields):
        column, label, key = columns[index % len(columns)], field.name.replace("_", " "), f"option-{family_name}-{field.name}"
        if field.name in CHOICES:
            values[field.name] = column.selectbox(label, CHOICES[field.name], CHOICES[field.name].index(field.default), key=key)
        elif isinstance(field.default, tuple):
            text = column.text_input(f"{label} (comma-separated)", ",".join(map(str, field.default)), key=key)
            values[field.name] = [int(part) for part in text.split(",") if part.strip().isdigit()]
        elif isinstance(field.default, float):
            values[field.name] = column.number_input(label, value=field.default, format="%.6g", key=key)
        else:
            values[field.name] = column.number_input(label, value=field.default, step=1, key=key)
    return values


def _card(store, entry, visitor):
    meta, result = entry.meta, entry.meta.get("metrics", {})
    with st.container(border=True):
        st.markdown(f"**{md(entry.name)}** · {meta['family']} · {md(meta.get('dataset'))} · latent "
                    f"{meta.get('latent_dim')}")
        if meta["family"] == "photo":  # any size, scored on held-out photos; used on the Denoise page only
            origin = "shipped with aecore, read-only" if meta.get("shipped") else \
                f"trained in {meta.get('train_seconds', 0):.0f} s"
            st.caption(f"held-out photos at σ 25: {result.get('test_psnr_noisy_sigma25', 0):.1f} → "
                       f"{result.get('test_psnr_sigma25', 0):.1f} dB · {meta.get('params', 0):,} parameters · {origin}")
        elif result:
            origin = f"imported from {md(meta['imported_from'])}" if meta.get("imported_from") else \
                f"trained in {meta.get('train_seconds', 0):.0f} s"
            st.caption(f"test BCE {result.get('test_bce', 0):.4f} · PSNR {result.get('test_psnr', 0):.1f} dB · "
                       f"SSIM {result.get('test_ssim', 0):.3f} · {meta.get('params', 0):,} parameters · {origin}")
        if meta.get("excluded_class") is not None:  # a detector: say so, and where it is used
            left_out = meta.get("excluded_class_name") or meta["excluded_class"]  # a folder's name: md() where shown
            st.caption(f"Trained without class {meta['excluded_class']} ({md(left_out)}): a detector of "
                       f"{md(left_out)}, which it never saw.")
            if st.button(f"Anomalies: how well it flags {md(left_out)}", key=f"anomalies-{entry.name}",
                         icon=":material/troubleshoot:", on_click=sidebar.explore,
                         args=(meta.get("dataset"), entry.name)):
                st.switch_page("views/anomaly.py")
        use, download, rename, delete = st.columns(4)
        if meta["family"] == "photo":
            use.page_link("views/denoise.py", label="Denoise photos", icon=":material/photo:")
        else:
            use.button("Explore", key=f"use-{entry.name}", on_click=sidebar.explore,
                       args=(meta.get("dataset"), meta.get("name")))
        # Zipped when clicked, in a thread of its own: zipping every model on every run took ~1 s on the Train page
        # with four 64x64 colour models (bench/RESULTS.md, "Your own images").
        download.download_button("Download", lambda name=entry.name: store.archive(name), f"{entry.name}.zip",
                                 "application/zip", key=f"download-{entry.name}")
        if meta.get("shipped"):  # read-only: the store refuses to rename or delete it, so offer neither
            rename.caption(f"Recipe: `{meta.get('recipe', '')}`")
            return
        if not roles.may_change_model(visitor, meta):
            return  # the owner's model: a viewer explores and downloads it (and the store functions check again)
        with rename.popover("Rename"):
            new_name = st.text_input("New name", entry.name, key=f"rename-text-{entry.name}")
            if st.button("Rename", key=f"rename-{entry.name}"):
                try:
                    roles.rename_model(store, visitor, entry.name, new_name)
                    st.rerun()
                except AecoreError as error:
                    st.error(md(error))
        with delete.popover("Delete"):
            st.caption("This removes the model from the store for good.")
            if st.button("Delete for good", key=f"delete-{entry.name}", type="primary"):
                try:
                    roles.delete_model(store, visitor, entry.name)
                    st.rerun()
                except AecoreError as error:
                    st.error(md(error))


def model_cards(store, visitor):
    entries = store.entries()
    if not [entry for entry in entries if not entry.meta.get("shipped")]:
        st.info("No models of your own yet. Start the quick start on the Home page, or train one above.")
    for entry in entries:
        _card(store, entry, visitor)

"""Which stored model each page opens on until the user picks one: the model that shows that page best.

Plain Python over store metadata (no Streamlit, no Keras), so the rules are unit-tested directly.
A newcomer after the quick start has conv, VAE, denoising and dense models; opening the newest one
everywhere showed Feature maps without conv layers and Denoise with a model never trained on noise.
"""

import math
from dataclasses import dataclass

from aecore.training import cards


@dataclass(frozen=True)
class PagePreference:
    kinds: tuple[str, ...]  # model kinds this page prefers, best first; () means "best test score"
    why: str  # completes "picked for this page: ..." when a preferred kind is there


def model_kind(meta: dict) -> str:
    """The page-relevant kind of a stored model: "conv", "denoising", "conv-vae", "vae" or its family (some pages
    also read a kind off the card: see MARKED)."""
    family, options = meta.get("family"), meta.get("options") or {}
    if family == "vae":
        return "conv-vae" if options.get("variant") == "conv" else "vae"
    return str(family)


PREFERENCES = {
    "feature_maps": PagePreference(("conv", "denoising", "conv-vae", "conv1d"),  # conv1d: on a series, its channels
                                   "a convolutional model, whose layers this page draws"),
    "latent_sampler": PagePreference(("vae", "conv-vae"), "the VAE, whose codes near 0 all decode to plausible images"),
    "denoise": PagePreference(("denoising",), "the denoising model, trained to remove noise"),
    "anomaly": PagePreference(("detector",), "a model trained without one class, the class it should flag"),
    "timeline": PagePreference(("recorded",), "a model with training snapshots to replay"),
}
MARKED = {  # page -> (kind, test): kinds read from the card rather than the family
    "anomaly": ("detector", lambda meta: meta.get("excluded_class") is not None),
    "timeline": ("recorded", lambda meta: bool(meta.get("snapshots"))),
}
BEST_SCORE = PagePreference((), "the best test score")  # Reconstructions, Latent map, Home, Train


def is_detector(meta: dict) -> bool:
    """A model trained without one class: it rebuilds that class badly on purpose, so only the Anomalies page
    opens on it by itself (it once became every other page's "best test score" model)."""
    return meta.get("excluded_class") is not None


def test_score(meta: dict) -> float:
    """Higher is better: test PSNR, else minus test BCE; -inf for a model without test metrics."""
    found = meta.get("metrics") or {}
    for key, sign in (("test_psnr", 1.0), ("test_bce", -1.0)):
        value = found.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            return sign * float(value)
    return -math.inf


def trained_elsewhere(meta: dict, dataset_name: str | None) -> bool:
    """True when the card names a dataset (trained, or an import scored, on it) other than `dataset_name`: its
    scores say nothing about this one, so no page opens on it by itself here."""
    return dataset_name is not None and cards.own_dataset(meta) is not None \
        and not cards.is_own_dataset(meta, dataset_name)


def pick_for_page(page: str | None, metas: list[dict], dataset_name: str | None = None) -> tuple[str | None, str]:
    """(model name, why) among `metas` (models that fit the dataset `dataset_name`) for `page`; (None, "") when
    empty.

    Preferred kinds first, in the page's order; within a kind, and among the rest, the best test score;
    on a tie the newest (`metas` come newest first from the store). Detectors (is_detector) come after every
    other model except on the Anomalies page: only there is leaving a class out what makes a model good. Models
    trained on another dataset (trained_elsewhere) come last of all, and the reason says so when one is chosen.
    """
    if not metas:
        return None, ""
    preference = PREFERENCES.get(page or "", BEST_SCORE)
    rank = {kind: position for position, kind in enumerate(preference.kinds)}
    marked, test = MARKED.get(page or "", (None, None))
    kind = (lambda meta: marked if test(meta) else model_kind(meta)) if marked else model_kind
    aside = (lambda meta: False) if page == "anomaly" else is_detector  # detectors last, wherever they score
    best = min(range(len(metas)), key=lambda i: (trained_elsewhere(metas[i], dataset_name), aside(metas[i]),
                                                  rank.get(kind(metas[i]), len(rank)), -test_score(metas[i]), i))
    chosen = metas[best]
    if trained_elsewhere(chosen, dataset_name):
        return chosen.get("name"), (f"every model of this size was trained on other data; this one on "
                                    f"{cards.own_dataset(chosen)}")
    if preference.kinds and kind(chosen) in rank:
        why = preference.why
    elif preference.kinds:
        wanted = " or ".join(kind.replace("-", " ") for kind in preference.kinds)
        why = f"the best test score (no {wanted} model for this dataset yet)"
    else:
        why = BEST_SCORE.why
    score = (chosen.get("metrics") or {}).get("test_psnr")
    if why.startswith("the best test score") and isinstance(score, (int, float)):
        why += f", PSNR {score:.1f} dB"
    return chosen.get("name"), why


EXPLORE_PAGES = ("reconstructions", "feature_maps", "latent_map", "timeline", "latent_sampler", "denoise", "anomaly")


def warm_order(metas: list[dict], dataset_name: str | None, limit: int) -> list[str]:
    """Up to `limit` model names for a server's warm-up to load, most useful first: the models the explore pages
    open on by themselves (each page's pick, in the sidebar's order of pages), then the newest. `metas`: newest
    first, as the store lists them."""
    picked = [pick_for_page(page, metas, dataset_name)[0] for page in EXPLORE_PAGES] if metas else []
    return list(dict.fromkeys(picked + [meta.get("name") for meta in metas]))[:limit]

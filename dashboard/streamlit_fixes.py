"""Stop Streamlit from calling `keras.backend.clear_session()` after every script run.

Streamlit's script runner "cleans problem modules" after each run, fragment reruns included (every
1-2 s on our live pages). For Keras 3 on TensorFlow, clear_session() replaces Keras's global
thread-local state, clears TensorFlow's kernel cache and runs gc.collect(). With a model training in
the background thread that meant (measured): layer-name counters reset in the middle of a build
("The name 'up_sampling2d' is used 2 times in the model"), and training several times slower, the
server's main thread pinned at 100% CPU while the training thread got ~7%. This app caches its models
and never relies on a fresh Keras session per run, so the clean-up only hurts. Matplotlib figures
are still closed, as Streamlit intends.
"""

import sys

from streamlit.runtime.scriptrunner import script_runner


def _close_matplotlib_only() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001  as Streamlit does: never crash a run over this
            pass


def keep_keras_state() -> None:
    """Idempotent; the script runner looks the function up by name on every run."""
    script_runner._clean_problem_modules = _close_matplotlib_only

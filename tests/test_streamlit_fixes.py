"""Streamlit must not clear the Keras session after each run: it broke builds in the training thread."""

import threading

from streamlit.runtime.scriptrunner import script_runner


def test_script_runs_leave_keras_state_alone():
    import keras

    import dashboard  # noqa: F401  (applies the fix)
    from aecore import families

    built = {}

    def build_in_a_thread():
        keras.layers.Dense(2)  # advance this thread's name counters, as a half-built model would
        script_runner._clean_problem_modules()  # what Streamlit runs after every script run
        built["model"] = families.build("conv", (28, 28, 1), 8)

    worker = threading.Thread(target=build_in_a_thread)
    worker.start()
    worker.join()
    assert built["model"].latent_dim == 8


def test_the_fix_is_what_the_script_runner_calls():
    import dashboard  # noqa: F401

    assert script_runner._clean_problem_modules.__module__ == "dashboard.streamlit_fixes"

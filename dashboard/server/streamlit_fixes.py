"""Three fixes to how Streamlit 1.67 runs this app: two in the clean-up its script runner calls after every run
(`script_runner._clean_problem_modules`, which `install` replaces with `_after_each_run`), one in its connections.

1. Stop Streamlit from calling `keras.backend.clear_session()` after every script run.

Streamlit's script runner "cleans problem modules" after each run, fragment reruns included (every
1-2 s on our live pages). For Keras 3 on TensorFlow, clear_session() replaces Keras's global
thread-local state, clears TensorFlow's kernel cache and runs gc.collect(). With a model training in
the background thread that meant (measured): layer-name counters reset in the middle of a build
("The name 'up_sampling2d' is used 2 times in the model"), and training several times slower, the
server's main thread pinned at 100% CPU while the training thread got ~7%. This app caches its models
and never relies on a fresh Keras session per run, so the clean-up only hurts. Matplotlib figures
are still closed, as Streamlit intends.

2. Make Streamlit's garbage collection after every script run cheap. Streamlit calls gc.collect(2) at the
end of each run; once TensorFlow is imported that walks ~420,000 objects and holds the GIL for ~290 ms
(measured), so the server answers nothing meanwhile. A fresh browser asks for Streamlit's element code
(select box, component, number input) just as the page's first run ends: those files waited behind the
collection, and the Latent sampler's first live frame with them. `freeze_long_lived` moves what is alive
after the first run, and again after each large import such as Keras's (the libraries' modules, classes and functions, which
live as long as the server) into the permanent generation, where collections skip it: the collection then walks
~2,000 objects and takes under 1 ms, and still frees each run's cyclic garbage. The price: a cycle among the objects
frozen then (the sessions' objects and the models cached at each freeze, a handful of times a process) is never
freed.

3. Send every response and websocket message at once (TCP_NODELAY). asyncio turns Nagle's algorithm off on the
connections it accepts, but only on sockets made with proto IPPROTO_TCP, and Streamlit makes its listening socket
with proto 0, so its connections kept Nagle on. A response whose headers and body go out in two writes (every
static file, over a kept-alive connection) then waited for the browser's delayed acknowledgement: 44 ms a file
measured with curl (0.3-0.7 ms with the fix), ~60 files on a first visit over six connections. `install` lets
asyncio's check accept proto 0; it must run before the first browser connects (server.py imports this module before
the server accepts connections).
"""

import gc
import socket
import sys
import threading
from asyncio import base_events

from streamlit.runtime.scriptrunner import script_runner


def _close_matplotlib() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        try:
            pyplot.close("all")
        except Exception:  # noqa: BLE001  as Streamlit does: never crash a run over this
            pass


def _after_each_run() -> None:
    """Instead of Streamlit's clean-up: matplotlib's figures closed, no Keras clear_session, the freeze."""
    _close_matplotlib()
    freeze_long_lived()


def install() -> None:
    """Idempotent; the script runner looks the function up by name on every run, the server binds its socket
    after server.py (which imports this) is loaded."""
    script_runner._clean_problem_modules = _after_each_run
    base_events._set_nodelay = _set_nodelay


def _set_nodelay(sock) -> None:
    """asyncio's own, without its check that the socket was made with proto IPPROTO_TCP: Streamlit's listening
    socket is made with proto 0, so the connections it accepts kept Nagle's algorithm on (fix 3 above)."""
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.type == socket.SOCK_STREAM \
            and sock.proto in (0, socket.IPPROTO_TCP):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


_freezing = threading.Lock()
_frozen_with = 0  # how many modules were loaded at the last freeze
REFREEZE_MODULES = 50  # imported since the last freeze: freeze again


def freeze_long_lived() -> None:
    """After a script run, whenever 50 or more modules were imported since the last freeze (the first run's own
    imports included): collect, then freeze.

    It used to freeze once, after the first run with Keras loaded. But Home never imports Keras, and the warm-up no
    longer does either, so on a server where nobody had opened an explore page nothing was frozen and each run's
    collection walked ~200,000 objects (Streamlit, NumPy, pandas...): 0.1-0.35 s of the server's CPU after every run,
    measured on Home. Keras (~400,000 objects with TensorFlow) and what pages import later (UMAP, scikit-learn's
    estimators) each freeze again. It runs right after Streamlit's own collection, so a run that freezes pays its cost
    twice, and no page script waits for it. Thread-safe (sessions run their scripts in their own threads).
    """
    global _frozen_with
    if len(sys.modules) - _frozen_with < REFREEZE_MODULES:
        return
    with _freezing:
        if len(sys.modules) - _frozen_with >= REFREEZE_MODULES:
            gc.collect(2)
            gc.freeze()
            _frozen_with = len(sys.modules)

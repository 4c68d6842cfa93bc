"""Streamlit must not clear the Keras session after each run (it broke builds in the training thread), and its
collection after each run must not walk the libraries' objects (it held the GIL ~290 ms)."""

import json
import subprocess
import sys
import threading
from pathlib import Path

from streamlit.runtime.scriptrunner import script_runner


def test_script_runs_leave_keras_state_alone():
    import keras

    import dashboard  # noqa: F401  (applies the fix)
    from aecore.models import families

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

    assert script_runner._clean_problem_modules.__module__ == "dashboard.server.streamlit_fixes"


FREEZE_IN_A_FRESH_PROCESS = """
import gc, json, sys, weakref
import dashboard  # installs the fixes
from streamlit.runtime.scriptrunner import script_runner
script_runner._clean_problem_modules()  # what Streamlit calls after every script run
before_keras = gc.get_freeze_count()
import keras
script_runner._clean_problem_modules()
frozen = gc.get_freeze_count()
script_runner._clean_problem_modules()
again = gc.get_freeze_count()

class Node:
    pass

node = Node(); node.self = node  # a cycle made by a later run: only the collector frees it
gone = weakref.ref(node)
del node
gc.collect(2)
print(json.dumps({"before_keras": before_keras, "frozen": frozen, "again": again, "tracked": len(gc.get_objects()),
                  "cycle_freed": gone() is None}))
"""


def test_long_lived_objects_are_frozen_after_the_first_run_and_keras_and_later_cycles_are_still_freed():
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", FREEZE_IN_A_FRESH_PROCESS], cwd=root, capture_output=True, text=True,
                         timeout=300, check=True)
    facts = json.loads(run.stdout.strip().splitlines()[-1])
    assert facts["before_keras"] > 10_000  # the first run: Streamlit's and NumPy's objects (Home imports no Keras)
    assert facts["frozen"] > facts["before_keras"] + 100_000  # Keras and TensorFlow's too: ~400,000 in the server
    assert facts["again"] == facts["frozen"]  # nothing imported since: no second freeze
    assert facts["tracked"] < facts["frozen"] // 10  # what a run's collection still walks
    assert facts["cycle_freed"]


def test_connections_to_a_socket_made_as_streamlit_makes_it_send_without_delay():
    """Streamlit's listening socket has proto 0 (socket.socket(family=...)); asyncio left Nagle on for the
    connections it accepted, so a response's second write waited ~40 ms for the browser's acknowledgement."""
    import asyncio
    import socket

    import asgi_calls

    import dashboard  # noqa: F401  (applies the fix)

    async def accept_one() -> int:
        listening = socket.socket(family=socket.AF_INET)  # as streamlit's starlette_server._bind_socket does
        listening.bind(("127.0.0.1", 0))
        listening.listen(1)
        accepted = asyncio.get_running_loop().create_future()

        async def handle(reader, writer):
            accepted.set_result(writer.get_extra_info("socket").getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(handle, sock=listening)
        _, writer = await asyncio.open_connection(*listening.getsockname())
        nodelay = await accepted
        writer.close()
        server.close()
        return nodelay

    assert listening_proto_is_zero() and asgi_calls.run(accept_one()) != 0  # asgi_calls.run: its own thread


def listening_proto_is_zero() -> bool:
    import socket

    with socket.socket(family=socket.AF_INET) as made:
        return made.proto == 0

"""`make class` under faults (issue #37): two dashboard processes behind nginx, driven over Streamlit's own
websocket protocol (bench/st_client.py, no browser).

One fixture for the file: a store with one conv model on digits, two processes and the proxy, an owner password. In
order: sessions spread evenly over both processes and stay on theirs; an upload of the largest size passes the proxy;
the owner, signed in on one process, starts a training, which a viewer on the other cannot start (a forged form
changes nothing there either) but sees; the owner's process is killed mid-training and its sessions reconnect to the
other, every answer still right, the training finishes (its own process) and the store holds every model whole. A
session that moves is a new session there: its widgets may come back at their defaults (seen both ways), so the test
picks again.
"""

import asyncio
import concurrent.futures
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

from aecore.analysis import metrics
from aecore.store.modelstore import ModelStore
from aecore.training import jobs, trainer
from bench import st_client
from scripts import class_server

pytestmark = pytest.mark.slow
MODEL = "class-conv"
TRAINED = "through-one"  # the model the training submitted through a process saves
PASSWORD = "owner-of-the-class"


@pytest.fixture(scope="module")
def classroom(tmp_path_factory, digits):
    if not os.path.exists(class_server.NGINX):
        pytest.skip("Debian's nginx is not installed: sh scripts/ensure_system_packages.sh nginx")
    folder = tmp_path_factory.mktemp("class-store")
    autoencoder = trainer.train("conv", digits, 8, config=trainer.TrainConfig(epochs=6, patience=0))
    ModelStore(folder).save(autoencoder, MODEL)
    bce = metrics.binary_cross_entropy(digits.x_test, autoencoder.reconstruct(digits.x_test))
    env = {"AECORE_STORE": str(folder), "AECORE_DEFAULT_DATASET": "digits", "AECORE_MAX_JOBS": "1",
           "AECORE_OWNER_PASSWORD": PASSWORD}
    started = class_server.start(2, env=env, timeout=180)
    yield {"class": started, "store": folder, "bce": bce, "url": started.url}
    class_server.stop(started)


def run(coroutine):
    """Runs the sessions' coroutine to its end in a thread of its own: after the browser tests, Playwright's sync API
    keeps an event loop running in this one, where asyncio.run refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, asyncio.wait_for(coroutine, 240)).result()


async def pick(session: st_client.Session, page_or_none, index: int, bce) -> st_client.Page:
    """Types `index` into Feature maps' "Test image" and checks the page names it and shows its BCE."""
    page = page_or_none or await session.open("feature_maps")
    page = await session.set_number(page.widget_id("number_input", "Test image"), index)
    shown = page.find(r"BCE (\d+\.\d+)")
    assert page.find(rf"Image #{index} "), page.texts()[:5]
    assert shown and abs(float(shown.group(1)) - bce[index]) <= 0.0006, (index, shown, bce[index])
    return page


def has_button(page: st_client.Page, label: str) -> bool:
    try:
        return bool(page.widget_id("button", label))
    except st_client.SessionError:
        return False


def server_of_cookies(url: str, session: st_client.Session) -> str:
    """The process the proxy sends this session's plain HTTP requests to (its uploads, thumbnails)."""
    cookies = "; ".join(f"{cookie.name}={cookie.value}" for cookie in session.cookies)
    request = urllib.request.Request(f"{url}/_stcore/health", headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return answer.headers[st_client.SERVER_HEADER]


def test_sessions_spread_evenly_and_stay_on_theirs(classroom):
    """New sessions go to the processes in turn, so 6 split 3/3 (random cookies split 30 sessions 83/36 picks); each
    session's picks and plain HTTP requests stay on the process its cookie names."""
    async def scenario():
        sessions = [st_client.Session(classroom["url"]) for _ in range(6)]
        for session in sessions:
            await session.connect()
        counts = {server: [session.server for session in sessions].count(server) for server in
                  {session.server for session in sessions}}
        chosen = {session.server: session for session in sessions}

        async def twice(number, session):
            await pick(session, await pick(session, None, 1 + number, classroom["bce"]), 100 + number, classroom["bce"])

        await asyncio.gather(*(twice(number, session) for number, session in enumerate(chosen.values())))
        same = [server_of_cookies(classroom["url"], session) == session.server for session in sessions]
        await asyncio.gather(*(session.close() for session in sessions))
        return counts, same

    counts, same = run(scenario())
    assert counts == {f"127.0.0.1:{port}": 3 for port in classroom["class"].ports}
    assert all(same)  # a session's plain HTTP requests (uploads, thumbnails) go where its websocket went


def test_the_proxy_config_gives_every_process_a_route_with_the_others_as_backups(tmp_path):
    """Three processes: a first request goes round robin; a cookie s<i> goes to process i, else to the others (in
    turn after it), and nginx itself accepts the file (`nginx -t`)."""
    config = class_server.nginx_config([7001, 7002, 7003], "127.0.0.1", 7000, tmp_path)
    assert '"s1" route_1;' in config and '"127.0.0.1:7003" s2;' in config
    route = config[config.index("upstream route_1 {"):].split("}")[0].splitlines()[1:4]
    assert [line.split()[1] for line in route] == ["127.0.0.1:7002", "127.0.0.1:7003", "127.0.0.1:7001"]
    assert "backup" not in route[0] and all(line.endswith("backup;") for line in route[1:])
    if not os.path.exists(class_server.NGINX):
        pytest.skip("Debian's nginx is not installed: sh scripts/ensure_system_packages.sh nginx")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / "tmp" / name).mkdir(parents=True)
    (tmp_path / "nginx.conf").write_text(config)
    checked = subprocess.run([class_server.NGINX, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"),
                              "-e", str(tmp_path / "error.log")], capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr


def test_an_upload_of_the_largest_size_reaches_streamlit_through_the_proxy(classroom):
    """10 MiB (the upload cap) is buffered by nginx into its run folder and handed on: Streamlit answers it (here
    403, a request without its XSRF token), not nginx with 413 (too large) or 500 (a temp folder it cannot write)."""
    request = urllib.request.Request(f"{classroom['url']}/_stcore/upload_file/session/file", method="PUT",
                                     data=os.urandom(10 * 2**20))
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=60)
    body = answer.value.read()
    assert answer.value.code == 403 and b"<center>nginx" not in body, (answer.value.code, body[:200])


def test_the_owner_trains_through_one_process_a_viewer_on_the_other_cannot_and_sees_it(classroom):
    """Roles hold in every process (each reads the same owner password): the owner signs in on one process and
    starts a training; a viewer on the other sends the very same form (a forged message: viewers get no form) and
    nothing is queued; the owner's training shows on the viewer's page."""
    async def scenario():
        owner, viewer = st_client.Session(classroom["url"]), None
        page = await owner.open("train")
        assert page.find("exploring as a viewer") and not has_button(page, "Start training")
        for _ in range(20):  # fresh sessions go to the processes in turn: find one on the other process
            candidate = st_client.Session(classroom["url"])
            await candidate.connect()
            if candidate.server != owner.server:
                viewer = candidate
                break
            await candidate.close()
        assert viewer is not None, "20 sessions in a row landed on one process"
        page = await owner.submit(page.widget_id("button", "Sign in"),
                                  {page.widget_id("text_input", "Owner password"): PASSWORD})
        form = {page.widget_id("number_input", "Epochs (0 = the family's default)"): 20,
                page.widget_id("text_input", "Name (optional)"): TRAINED}
        start = page.widget_id("button", "Start training")
        await viewer.open("train")
        forged = await viewer.submit(start, form)
        queued_by_viewer = jobs.list_jobs(jobs.jobs_folder(classroom["store"]))
        await owner.submit(start, form)
        seen = await viewer.rerun()
        deadline = time.time() + 60
        while not seen.find(r"Training conv on digits|Queued: conv on digits") and time.time() < deadline:
            await asyncio.sleep(1)
            seen = await viewer.rerun()
        await asyncio.gather(owner.close(), viewer.close())
        return owner.server, viewer.server, forged, queued_by_viewer, seen

    owner_server, viewer_server, forged, queued_by_viewer, seen = run(scenario())
    assert owner_server != viewer_server
    assert queued_by_viewer == [] and not has_button(forged, "Start training"), forged.texts()
    assert seen.find(r"Training conv on digits|Queued: conv on digits"), seen.texts()
    classroom["training_through"] = owner_server


def test_a_killed_process_moves_its_sessions_and_the_store_stays_whole(classroom):
    victim_address = classroom["training_through"]  # the process that started the training still running
    victim = classroom["class"].servers[classroom["class"].ports.index(int(victim_address.rsplit(":", 1)[1]))]
    bce = classroom["bce"]

    async def scenario():
        sessions, pages = [], []
        while len([session for session in sessions if session.server == victim_address]) < 2 and len(sessions) < 25:
            sessions.append(st_client.Session(classroom["url"]))
            pages.append(await pick(sessions[-1], None, 200 + len(sessions), bce))  # digits: 300 test images
        os.kill(victim.pid, signal.SIGKILL)
        moved = []
        for number, (session, page) in enumerate(zip(sessions, pages)):
            if session.server != victim_address:
                await pick(session, page, 230 + number, bce)  # untouched: same process, same session
                continue
            with pytest.raises(st_client.SessionError, match="connection closed"):
                await session.set_number(page.widget_id("number_input", "Test image"), 230 + number)
            page = await session.reconnect("feature_maps")  # as the browser does: its page and widget values again
            # A new session on the other process: the page again, with the image the browser resent or, as Streamlit
            # may draw widgets a session never drew at their defaults, image 0
            assert page.find(rf"Image #(0|{230 + number}) ") and session.server != victim_address, page.texts()[:4]
            moved.append(await pick(session, page, 260 + number, bce))
            # its cookie now names where it landed, so its uploads and thumbnails follow it there
            assert server_of_cookies(classroom["url"], session) == session.server
        await asyncio.gather(*(session.close() for session in sessions))
        return moved

    moved = run(scenario())
    assert len(moved) >= 2
    store = ModelStore(classroom["store"])
    deadline = time.time() + 150
    while TRAINED not in store.names() and time.time() < deadline:
        time.sleep(1)
    entries, problems = store.scan()
    assert {entry.name for entry in entries} == {MODEL, TRAINED} and not problems
    for name in (MODEL, TRAINED):  # each loads whole and answers
        assert store.load(name).reconstruct(np.zeros((1, 8, 8, 1), "float32")).shape == (1, 8, 8, 1)
    states = [job.state() for job in jobs.list_jobs(jobs.jobs_folder(classroom["store"]))]
    assert [state["status"] for state in states] == ["done"], states
    assert not list(classroom["store"].glob("**/.*.tmp"))  # no temporary file left behind
    shutil.rmtree(classroom["store"] / ".jobs", ignore_errors=True)

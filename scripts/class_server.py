"""`make class`: several dashboard processes behind nginx on one port, so a class uses every core (issue #37).
Longer than 300 lines: nginx's config, the processes' start and stop, and the balance between them are one recipe, read
together (the config names every process and its route).

One Streamlit process runs its scripts on one core. This starts N of them (`streamlit run server.py`, each on an
internal port of 127.0.0.1, all on the same store and so the same job queue) and Debian's nginx in front, as a child
of this script (not a daemon), with a config written into a run folder. Ctrl-C (or SIGTERM) stops nginx and the
servers; training jobs are processes of their own and carry on, as after `make run`.

Session affinity: a browser session must stay on the process that holds it (its websocket, its uploads, the thumbnail
sheets its page registered). A browser's first request goes to the processes in turn (round robin), and nginx sets a
cookie `aecore_route` naming the process that answered (`s0`, `s1`, ...); later requests follow it. A cookie, not the
client's address: a class behind one NAT shares one address and would land on one process. A random cookie hashed to a
process (the first version) split 30 sessions 83/36 picks; this one splits them evenly (bench/RESULTS.md). When a
process dies, nginx sends its sessions to another (the browser reconnects by itself and reruns its page there) and
their cookie then names that one; a dead process is not restarted (restart the class after the lesson).

    python scripts/class_server.py --servers 2 --port 8501      # what `make class SERVERS=2 PORT=8501` runs
"""

import argparse
import ctypes
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NGINX = "/usr/sbin/nginx"  # Debian's package, installed by scripts/ensure_system_packages.sh nginx
ROUTE_COOKIE = "aecore_route"
UPLOAD_LIMIT_MB = 12  # .streamlit/config.toml's maxUploadSize (10 MiB) plus the multipart envelope


@dataclass
class Classroom:
    """The running servers and their proxy."""

    url: str  # the proxy's address, the one to give the class
    servers: list[subprocess.Popen]
    ports: list[int]
    nginx: subprocess.Popen
    run_dir: Path
    owned_run_dir: bool = True  # made by us: removed by stop()
    notes: list[str] = field(default_factory=list)  # the servers' own start-up notes (an open dashboard, ...)


def free_ports(count: int) -> list[int]:
    import socket

    probes = [socket.socket() for _ in range(count)]
    try:
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def upstream_blocks(addresses: list[str]) -> str:
    """`dashboards`: every process in turn (round robin), for a browser's first request, so sessions spread evenly
    (least_conn would not see them: their websockets go through the routes). `route_<i>`: a browser whose cookie
    names process i, with the others as backups: when i dies its sessions move on (marked failed after one error)."""
    server = "    server {address} max_fails=1 fail_timeout=10s{backup};"
    balanced = "\n".join(server.format(address=address, backup="") for address in addresses)
    blocks = [f"  upstream dashboards {{\n{balanced}\n    keepalive 16;\n  }}"]
    for index, address in enumerate(addresses):
        others = addresses[index + 1:] + addresses[:index]
        lines = [server.format(address=address, backup="")] + [server.format(address=other, backup=" backup")
                                                               for other in others]
        blocks.append(f"  upstream route_{index} {{\n" + "\n".join(lines) + "\n    keepalive 8;\n  }")
    return "\n".join(blocks)


def route_maps(addresses: list[str]) -> str:
    """The cookie -> its process's upstream; the process that answered (the last address nginx tried) -> the cookie
    it sets, so a session that failed over keeps to where it landed."""
    routes = "\n".join(f'    "s{index}" route_{index};' for index in range(len(addresses)))
    answered = "\n".join(f'    "{address}" s{index};' for index, address in enumerate(addresses))
    return f"""  map $cookie_{ROUTE_COOKIE} $aecore_upstream {{
{routes}
    default dashboards;
  }}
  map $upstream_addr $aecore_served {{  # "A, B" when A failed and B answered
    "~(?:^|, )(?<last>[^ ,]+)$" $last;
    default "";
  }}
  map $aecore_served $aecore_route {{
{answered}
    default "";
  }}"""


def nginx_config(ports: list[int], host: str, port: int, run_dir: Path, upstreams: list[str] | None = None) -> str:
    """nginx.conf for the proxy: sessions balanced on their first request, then kept on their process by the
    `aecore_route` cookie. `upstreams` (ip:port) instead of local ports for the proxy of several machines."""
    user = "user nobody nogroup;\n" if os.geteuid() == 0 else ""  # workers drop root; their temp dirs are theirs
    addresses = upstreams or [f"127.0.0.1:{number}" for number in ports]
    proxied = """proxy_pass http://$aecore_upstream;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;  # Streamlit compares the websocket's Origin with Host
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;"""
    temp = run_dir / "tmp"
    return f"""# Written by scripts/class_server.py for this run; edits are lost at the next start.
{user}worker_processes 1;
pid {run_dir / "nginx.pid"};
error_log {run_dir / "nginx-error.log"} warn;
events {{ worker_connections 4096; }}
http {{
  access_log {run_dir / "nginx-access.log"} combined buffer=32k flush=5s;
  client_body_temp_path {temp / "body"};
  proxy_temp_path {temp / "proxy"};
  fastcgi_temp_path {temp / "fastcgi"};
  uwsgi_temp_path {temp / "uwsgi"};
  scgi_temp_path {temp / "scgi"};
  client_max_body_size {UPLOAD_LIMIT_MB}m;
{route_maps(addresses)}
{upstream_blocks(addresses)}
  server {{
    listen {host}:{port};
    add_header Set-Cookie "{ROUTE_COOKIE}=$aecore_route; Path=/; HttpOnly; SameSite=Lax" always;
    add_header X-Aecore-Server $aecore_served always;  # which process answered (the fault tests read it)
    location /_stcore/stream {{  # the websocket: every interaction of a session
      {proxied}
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection "upgrade";
      proxy_read_timeout 1d;
      proxy_send_timeout 1d;
      proxy_buffering off;
    }}
    location / {{  # the page, static files, /_stcore/health, uploads, the thumbnail sheets (/api/sheets/...)
      {proxied}
      proxy_set_header Connection "";
    }}
  }}
}}
"""


def resolve(upstreams: list[str]) -> list[str]:
    """host:port -> every address the name has now, as ip:port (deploy/compose.yaml's `tasks.dashboard:8501` is one
    per replica), each its own route; nginx would also resolve the names only once, at start."""
    import socket

    addresses = []
    for upstream in upstreams:
        name, _, number = upstream.rpartition(":")
        for *_, address in socket.getaddrinfo(name, int(number), type=socket.SOCK_STREAM):
            shown = f"[{address[0]}]:{address[1]}" if ":" in address[0] else f"{address[0]}:{address[1]}"
            addresses += [shown] if shown not in addresses else []
    return addresses


def _end_with_us():
    """In each child before it runs: SIGTERM when this script dies, even by SIGKILL, so no server outlives the class."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG (Linux)


def start_nginx(config: str, run_dir: Path) -> subprocess.Popen:
    if not Path(NGINX).exists():
        raise RuntimeError(f"{NGINX} is missing: run `sh scripts/ensure_system_packages.sh nginx` (Debian's nginx)")
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / "tmp" / name).mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:  # workers run as nobody: they buffer uploads and large answers in tmp/ (else a 500)
        nobody = pwd.getpwnam("nobody")
        run_dir.chmod(0o711)  # mkdtemp's 0700 would keep them out of tmp/
        for path in [run_dir / "tmp", *(run_dir / "tmp").iterdir()]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
    (run_dir / "nginx.conf").write_text(config)
    command = [NGINX, "-e", str(run_dir / "nginx-error.log"), "-p", str(run_dir), "-c", str(run_dir / "nginx.conf"),
               "-g", "daemon off;"]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, check=False)
    if checked.returncode:
        raise RuntimeError(f"nginx refused the generated config: {checked.stderr.strip()}")
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, preexec_fn=_end_with_us)  # noqa: PLW1509


def start_server(port: int, environment: dict, log: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "streamlit", "run", "server.py", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with open(log, "w") as output:
        return subprocess.Popen(command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=output,
                                stderr=subprocess.STDOUT, preexec_fn=_end_with_us)  # noqa: PLW1509


def answers(url: str) -> bool:
    try:
        return urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok"
    except OSError:
        return False


def start(servers: int, port: int = 0, host: str = "127.0.0.1", env: dict | None = None, run_dir: Path | None = None,
          timeout: float = 120) -> Classroom:
    """`servers` dashboard processes and nginx on `host:port` (0: a free port); returns once every process answers.
    `env` goes on top of this process's environment (AECORE_STORE picks the store). Raises RuntimeError if a
    process does not come up; everything started is stopped then."""
    if servers < 1:
        raise ValueError(f"SERVERS must be a whole number >= 1; got {servers}")
    owned = run_dir is None
    run_dir = Path(run_dir or tempfile.mkdtemp(prefix="aecore-class-"))
    run_dir.mkdir(parents=True, exist_ok=True)
    ports = free_ports(servers + (0 if port else 1))
    port = port or ports.pop()
    # One cookie secret for all: Streamlit signs its session and login cookies with it, and a session that moves to
    # another process (its own died) must still be readable there.
    environment = {**os.environ, "STREAMLIT_SERVER_COOKIE_SECRET": os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET")
                   or secrets.token_hex(32), **(env or {})}
    processes = [start_server(number, environment, run_dir / f"server-{index}.log")
                 for index, number in enumerate(ports)]
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    classroom = Classroom(url, processes, ports, None, run_dir, owned)
    try:
        classroom.nginx = start_nginx(nginx_config(ports, host, port, run_dir), run_dir)
        wait_until_up(classroom, timeout)
    except BaseException:
        stop(classroom)
        raise
    classroom.notes = [line for line in (run_dir / "server-0.log").read_text().splitlines() if line.startswith("note:")]
    return classroom


def wait_until_up(classroom: Classroom, timeout: float):
    deadline = time.time() + timeout
    waiting = set(range(len(classroom.servers)))
    while waiting and time.time() < deadline:
        for index in list(waiting):
            if classroom.servers[index].poll() is not None:
                log = (classroom.run_dir / f"server-{index}.log").read_text()[-2000:]
                code = classroom.servers[index].returncode
                raise RuntimeError(f"dashboard process {index} ended at start (code {code}):\n{log}")
            if answers(f"http://127.0.0.1:{classroom.ports[index]}"):
                waiting.discard(index)
        if classroom.nginx.poll() is not None:
            raise RuntimeError(f"nginx ended at start: {(classroom.run_dir / 'nginx-error.log').read_text()[-2000:]}")
        time.sleep(0.3)
    if waiting or not answers(classroom.url):
        raise RuntimeError(f"the class did not answer within {timeout:.0f} s (processes {sorted(waiting)} silent)")


def stop(classroom: Classroom):
    """nginx first (no new requests), then every server; each gets 20 s to end before a kill."""
    for process in [classroom.nginx, *classroom.servers]:
        if process is not None and process.poll() is None:
            process.terminate()
    for process in [classroom.nginx, *classroom.servers]:
        if process is None:
            continue
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if classroom.owned_run_dir:
        shutil.rmtree(classroom.run_dir, ignore_errors=True)


def supervise(classroom: Classroom) -> int:
    """Until Ctrl-C: reports a process that ends (its sessions move to the others); ends when nginx or every
    dashboard process has ended. Returns the exit code."""
    reported = set()
    while True:
        if classroom.nginx.poll() is not None:
            print(f"nginx ended (code {classroom.nginx.returncode}); stopping the class", flush=True)
            return 1
        for index, process in enumerate(classroom.servers):
            if process.poll() is not None and index not in reported:
                reported.add(index)
                print(f"dashboard process {index} (port {classroom.ports[index]}) ended with code {process.returncode};"
                      " its sessions reconnect to the others. Restart `make class` to get it back.", flush=True)
        if len(reported) == len(classroom.servers):
            print("every dashboard process has ended; stopping", flush=True)
            return 1
        time.sleep(0.5)


def _interrupt(*_):
    raise KeyboardInterrupt  # SIGTERM ends the class as Ctrl-C does


def proxy_only(upstreams: list[str], port: int, host: str) -> int:
    """nginx alone, in front of dashboard processes elsewhere (deploy/compose.yaml: `tasks.dashboard:8501`, which
    nginx resolves once, at start, to every replica); runs until nginx ends or Ctrl-C."""
    run_dir = Path(tempfile.mkdtemp(prefix="aecore-proxy-"))
    nginx = start_nginx(nginx_config([], host, port, run_dir, resolve(upstreams)), run_dir)
    print(f"proxy on {host}:{port} in front of {', '.join(upstreams)}; Ctrl-C stops it", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return nginx.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop(Classroom("", [], [], nginx, run_dir))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--servers", type=int, default=os.cpu_count() or 1, help="dashboard processes (default: cores)")
    parser.add_argument("--port", type=int, default=8501, help="the one port the class opens (default 8501)")
    parser.add_argument("--host", default="0.0.0.0", help="address nginx listens on (default: every interface)")
    parser.add_argument("--upstream", action="append", metavar="HOST:PORT",
                        help="only the proxy, in front of dashboard processes at these addresses (several machines)")
    arguments = parser.parse_args(argv)
    if arguments.upstream:
        return proxy_only(arguments.upstream, arguments.port, arguments.host)
    print(f"starting {arguments.servers} dashboard process(es) behind nginx ...", flush=True)
    classroom = start(arguments.servers, arguments.port, arguments.host)
    for note in classroom.notes:
        print(note, flush=True)
    print(f"the class opens http://<this machine>:{arguments.port} ({classroom.url} here); "
          f"{arguments.servers} process(es) on ports {', '.join(map(str, classroom.ports))}, logs and nginx.conf in "
          f"{classroom.run_dir}. Ctrl-C stops it.", flush=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return supervise(classroom)
    except KeyboardInterrupt:
        print("stopping the class ...", flush=True)
        return 0
    finally:
        stop(classroom)


if __name__ == "__main__":
    sys.exit(main())

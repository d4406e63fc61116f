"""`lnw ui`: Dagster's webserver and daemon on 127.0.0.1 for one home.

The two run side by side, as `dg dev` would start them, but directly: `dagster dev` warns at
every start that it is superseded, and `dg` is a development tool (the dev dependency
group), which an installed `lnw` does not have. Running them ourselves also lets `lnw ui`
refuse a busy port before anything starts, and stop everything when either one stops.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from inbox.home import Home
from lnw.run import EXIT_FAILED, _prepare_environment, progress

# The project's workspace file: the webserver loads the definitions as the daemon does.
WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"
HOST = "127.0.0.1"
SHUTDOWN_SECONDS = 60


def _workspace(home: Home) -> Path:
    """The checkout's workspace.yaml; an installed package writes an equivalent into the home."""
    if WORKSPACE.exists():
        return WORKSPACE
    generated = home.dagster / "workspace.yaml"
    generated.write_text(
        "load_from:\n"
        "  - python_module:\n"
        "      module_name: pipelines.definitions\n"
        "      attribute: defs\n"
        "      location_name: linkedin_network\n"
    )
    return generated


def port_in_use(port: int) -> bool:
    """Whether another program holds the port on 127.0.0.1 (the webserver would fail to bind
    it only after the daemon and the code server had started)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As the webserver binds: a port left in TIME_WAIT by a UI just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def _serving(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}/server_info", timeout=1):
            return True
    except OSError:
        return False


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _stop(processes: list) -> None:
    """SIGINT to each process group (the server and the code server it started), as a Ctrl-C
    would; what is still running a minute later is killed."""
    for process in processes:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
    deadline = time.monotonic() + SHUTDOWN_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def run_ui(home: Home, port: int) -> int:
    if port_in_use(port):
        print(
            f"lnw ui: port {port} on {HOST} is in use (another Dagster UI, or another "
            "program); stop it, or choose another port with --port",
            file=sys.stderr,
        )
        return EXIT_FAILED
    _prepare_environment(home, None)
    workspace = _workspace(home)
    scripts = Path(sys.executable).parent
    commands = {
        "webserver": [
            str(scripts / "dagster-webserver"),
            "-w", str(workspace),
            "--host", HOST,
            "--port", str(port),
        ],
        "daemon": [str(scripts / "dagster-daemon"), "run", "-w", str(workspace)],
    }  # fmt: skip
    progress(f"lnw: starting the Dagster UI on http://{HOST}:{port} (Ctrl-C stops it)")
    progress(f"lnw: workspace {workspace}, Dagster storage {home.dagster}")
    previous = signal.signal(signal.SIGTERM, _interrupt)
    # Started in the background (`lnw ui &`, nohup), SIGINT arrives ignored: take it back, and
    # give the children default handlers so that Dagster installs its own shutdown on SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    processes = {}
    try:
        for name, command in commands.items():
            # Each in its own session, so that one Ctrl-C reaches it once (forwarded by
            # `_stop`) and it can stop its code server in order instead of being killed.
            processes[name] = subprocess.Popen(
                command, cwd=workspace.parent, start_new_session=True, preexec_fn=_default_signals
            )
        announced = False
        while True:
            ended = [name for name, p in processes.items() if p.poll() is not None]
            if ended:
                name = ended[0]
                code = processes[name].returncode
                progress(
                    f"lnw ui: the Dagster {name} stopped (exit code {code}); stopping the rest"
                    + ("" if announced else f": nothing serves http://{HOST}:{port}")
                )
                return EXIT_FAILED
            if not announced and _serving(port):
                progress(f"lnw: Dagster UI serving on http://{HOST}:{port}")
                announced = True
            time.sleep(0.5)
    except KeyboardInterrupt:
        progress("lnw: stopping the Dagster UI")
        return 0
    finally:
        _stop(list(processes.values()))
        signal.signal(signal.SIGTERM, previous)

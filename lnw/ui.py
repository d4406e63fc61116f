"""`lnw ui`: the Dagster webserver, daemon and code server on 127.0.0.1 for one home."""

from __future__ import annotations

import sys
from pathlib import Path

from inbox.home import Home
from lnw.run import _prepare_environment, progress

# The project's workspace file: `dagster dev -w` loads the definitions as the daemon does.
WORKSPACE = Path(__file__).resolve().parents[1] / "workspace.yaml"


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


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _default_signals() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_ui(home: Home, port: int) -> int:
    _prepare_environment(home, None)
    import signal
    import subprocess

    workspace = _workspace(home)
    command = [
        sys.executable, "-m", "dagster", "dev",
        "-w", str(workspace),
        "--host", "127.0.0.1",
        "--port", str(port),
    ]  # fmt: skip
    progress(f"lnw: Dagster UI on http://127.0.0.1:{port} (Ctrl-C stops it)")
    progress(f"lnw: workspace {workspace}, Dagster storage {home.dagster}")
    # Its own session, so that one Ctrl-C reaches `dagster dev` once (forwarded below) and it
    # can stop its webserver, daemon and code server in order instead of being killed.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    # Started in the background (`lnw ui &`, nohup), SIGINT arrives ignored: take it back, and
    # give the child default handlers so that Dagster installs its own shutdown on SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    process = subprocess.Popen(
        command,
        cwd=workspace.parent,
        start_new_session=True,
        preexec_fn=_default_signals,
    )
    try:
        return process.wait()
    except KeyboardInterrupt:
        progress("lnw: stopping the Dagster UI")
        process.send_signal(signal.SIGINT)
        try:
            return process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)

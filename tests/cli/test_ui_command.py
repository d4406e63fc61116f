"""`lnw ui` refuses what it cannot do, in one sentence, before starting anything."""

import socket
import subprocess
import sys


def test_lnw_ui_on_a_busy_port_says_so_and_exits_1(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "lnw.cli", "ui", "--home", str(tmp_path), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert result.stderr == (
        f"lnw ui: port {port} on 127.0.0.1 is in use (another Dagster UI, or another "
        "program); stop it, or choose another port with --port\n"
    )
    assert result.stdout == ""
    assert not (tmp_path / "dagster").exists(), "nothing started, nothing written"

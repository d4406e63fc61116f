"""Throwaway Postgres and Redis servers from Debian's packages, for the deployment tests.

Each server lives in its own temporary folder on a free local port and is gone after the
test module. Where a package is missing the fixture skips and says which one to install.
"""

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _postgres_bin(name: str) -> str | None:
    # Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
        key=lambda p: int(Path(p).parts[-3]),
    )
    return candidates[-1] if candidates else None


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str
    database: str

    @property
    def environment(self) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads its credentials from."""
        return {
            "DAGSTER_POSTGRES_HOST": self.host,
            "DAGSTER_POSTGRES_PORT": str(self.port),
            "DAGSTER_POSTGRES_USER": self.user,
            # The throwaway server trusts local connections; Dagster still wants a value.
            "DAGSTER_POSTGRES_PASSWORD": "unused",
            "DAGSTER_POSTGRES_DB": self.database,
        }

    def query(self, sql: str, *params) -> list[tuple]:
        import psycopg2

        con = psycopg2.connect(host=self.host, port=self.port, user=self.user, dbname=self.database)
        con.autocommit = True
        try:
            with con.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            con.close()

    def new_database(self, name: str) -> "Postgres":
        """An empty database on the same server: one per test, so no test sees another's runs."""
        self.query(f'CREATE DATABASE "{name}"')
        return Postgres(host=self.host, port=self.port, user=self.user, database=name)


@contextlib.contextmanager
def postgres_server() -> Iterator[Postgres]:
    initdb, pg_ctl = _postgres_bin("initdb"), _postgres_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries absent: apt-get install -y postgresql")
    run_as: str | None = None
    if os.geteuid() == 0:
        # initdb refuses to run as root; Debian's package creates the `postgres` user.
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and no `postgres` user to run the server as")
        run_as = "postgres"
    folder = Path(tempfile.mkdtemp(prefix="lnw-postgres-"))
    data = folder / "data"
    if run_as:
        shutil.chown(folder, user=run_as)
    port = free_port()
    subprocess.run(
        [initdb, "-D", str(data), "-U", "lnw", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True,
        capture_output=True,
        user=run_as,
    )
    # fsync off: the server is thrown away with the test, durability buys nothing here.
    options = f"-h 127.0.0.1 -p {port} -k {folder} -F"
    subprocess.run(
        [pg_ctl, "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start"],
        check=True,
        capture_output=True,
        user=run_as,
    )
    try:
        yield Postgres(host="127.0.0.1", port=port, user="lnw", database="postgres")
    finally:
        subprocess.run(
            [pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            user=run_as,
        )
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Redis:
    port: int

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


@contextlib.contextmanager
def redis_server() -> Iterator[Redis]:
    binary = shutil.which("redis-server")
    if not binary:
        pytest.skip("redis-server absent: apt-get install -y redis-server")
    port = free_port()
    # No persistence: the broker's queue only has to outlive the test.
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        client = redis.Redis(host="127.0.0.1", port=port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield Redis(port=port)
    finally:
        process.terminate()
        process.wait(timeout=20)

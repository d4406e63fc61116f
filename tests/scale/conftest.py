import itertools
import shutil
from pathlib import Path

import pytest

from inbox.home import Home
from tests.scale.servers import postgres_server, redis_server

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_service():
    with postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def redis_service():
    with redis_server() as server:
        yield server


@pytest.fixture
def postgres(postgres_service, monkeypatch):
    """A fresh database, with deploy/dagster.yaml's credential variables pointing at it."""
    database = postgres_service.new_database(f"dagster_{next(_databases)}")
    for name, value in database.environment.items():
        monkeypatch.setenv(name, value)
    return database


@pytest.fixture
def deployed_home(tmp_path, postgres) -> Home:
    """A home whose Dagster instance is deploy/dagster.yaml, as a deployment would set it up."""
    home = Home(tmp_path / "home")
    home.dagster.mkdir(parents=True)
    shutil.copy(DEPLOY / "dagster.yaml", home.dagster / "dagster.yaml")
    return home.ensure()

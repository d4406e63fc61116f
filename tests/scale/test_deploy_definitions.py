"""deploy/definitions.py: the project's Definitions unchanged but for the executor it picks."""

import importlib.util

import pytest

from pipelines.definitions import defs as pipeline_defs
from tests.scale.conftest import DEPLOY


def load_deploy_definitions():
    spec = importlib.util.spec_from_file_location(
        "lnw_deploy_definitions", DEPLOY / "definitions.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.defs


def graph(defs) -> dict[str, set[str]]:
    assets = defs.resolve_asset_graph()
    return {
        key.to_user_string(): {p.to_user_string() for p in assets.get(key).parent_keys}
        for key in assets.get_all_asset_keys()
    }


@pytest.mark.parametrize(
    ("choice", "executor"), [("multiprocess", "multiprocess"), ("celery", "celery"), ("k8s", "k8s")]
)
def test_every_executor_runs_the_same_assets_jobs_and_automation(monkeypatch, choice, executor):
    monkeypatch.setenv("LNW_EXECUTOR", choice)
    monkeypatch.setenv("LNW_CELERY_BROKER", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("LNW_CELERY_BACKEND", "redis://127.0.0.1:6379/1")

    defs = load_deploy_definitions()

    assert graph(defs) == graph(pipeline_defs)
    for job in ("load_inbox", "refresh_marts", "backfill_account"):
        assert defs.resolve_job_def(job).executor_def.name == executor
    assert {s.name for s in defs.sensors} == {s.name for s in pipeline_defs.sensors}
    assert {s.name for s in defs.schedules} == {s.name for s in pipeline_defs.schedules}


def test_an_unknown_executor_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv("LNW_EXECUTOR", "dask")
    with pytest.raises(ValueError, match="expected one of multiprocess, celery, k8s"):
        load_deploy_definitions()

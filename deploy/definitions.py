"""The project's Definitions with the executor a deployment chooses, and nothing else changed.

``LNW_EXECUTOR`` picks how the steps of a run are executed:

- ``multiprocess`` (default): one process per step on the run worker's host;
- ``celery``: each step is a Celery task on the broker ``LNW_CELERY_BROKER`` (results on
  ``LNW_CELERY_BACKEND``), run by ``dagster-celery worker start`` processes;
- ``k8s``: each step is a Kubernetes Job (``dagster-k8s``), with the run launched by the
  ``K8sRunLauncher`` of deploy/k8s/values.yaml.

The `warehouse` pool limit (deploy/dagster.yaml) holds under all three: the run worker claims
a pool slot in Dagster's storage before it hands a step to a process, a Celery worker or a pod.
Point a workspace at this file (deploy/workspace.yaml) instead of pipelines.definitions.
"""

import dagster as dg

import pipelines.definitions
import settings

EXECUTORS = settings.EXECUTORS


def executor_from_environment() -> dg.ExecutorDefinition:
    choice = settings.executor()
    if choice == "multiprocess":
        return dg.multiprocess_executor
    if choice == "celery":
        # Imported only when chosen: Celery and the Kubernetes client are heavy imports.
        from dagster_celery import celery_executor

        return celery_executor.configured(
            {
                "broker": {"env": "LNW_CELERY_BROKER"},
                "backend": {"env": "LNW_CELERY_BACKEND"},
            }
        )
    if choice == "k8s":
        from dagster_k8s import k8s_job_executor

        # Step pods inherit the run pod's container context (the K8sRunLauncher's volumes,
        # env and secrets in deploy/k8s/values.yaml), so only the fan-out is set here: more
        # parallel pods than `warehouse` slots would mostly wait for the slot.
        return k8s_job_executor.configured({"max_concurrent": 4})
    raise ValueError(f"LNW_EXECUTOR={choice!r}: expected one of {', '.join(EXECUTORS)}")


defs = dg.Definitions.merge(
    pipelines.definitions.defs, dg.Definitions(executor=executor_from_environment())
)

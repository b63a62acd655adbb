"""Dataset endpoints, written the way the checklist recommends: no findings here."""

from fastapi import APIRouter

from server.core.celery import app as celery_app

router = APIRouter(prefix="/v1/datasets")


@router.post("/{dataset}/tasks/{task_id}/cancel")
def cancel_dataset_processing(dataset: str, task_id: str) -> dict:
    meta = celery_app.backend.get_task_meta(task_id)
    child_task_ids = meta.get("result", {}).get("children", [])
    cancelled = []
    for child_id in child_task_ids:
        child_result = celery_app.AsyncResult(child_id)
        if child_result.state == "PENDING":
            celery_app.control.revoke(child_id, terminate=False)
            cancelled.append(child_id)
    return {"dataset": dataset, "cancelled": cancelled}


@router.get("/{dataset}/tasks/{task_id}")
def task_status(dataset: str, task_id: str) -> dict:
    result = celery_app.AsyncResult(task_id)
    return {"dataset": dataset, "task_id": task_id, "state": result.state}

"""Project endpoints of the FastAPI server."""

from fastapi import APIRouter

# CEL001: the server now imports the worker's code (and its heavy dependencies).
from rag.tasks import ingest_file

from server.core.celery import app as celery_app
from server.core.celery.rag_client import database_stats

router = APIRouter(prefix="/v1/projects")


@router.post("/{namespace}/{project}/ingest")
def ingest(namespace: str, project: str, path: str) -> dict:
    result = ingest_file.delay(f"{namespace}/{project}", "main", path)
    return {"task_id": result.id}


@router.get("/{namespace}/{project}/stats")
def stats(namespace: str, project: str) -> dict:
    return database_stats(f"{namespace}/{project}", "main")


@router.delete("/{namespace}/{project}/tasks/{task_id}")
def cancel_ingest(namespace: str, project: str, task_id: str) -> dict:
    # CEL009: the task is reported as cancelled but keeps running on the worker.
    result = celery_app.AsyncResult(task_id)
    celery_app.backend.store_result(task_id, {"cancelled": True}, "REVOKED")
    return {"task_id": result.id, "cancelled": True}

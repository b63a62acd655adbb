"""Client side of the RAG worker: build signatures, dispatch, and wait for results."""

import asyncio
import time
from typing import Any

from celery import signature
from celery.result import AsyncResult

from server.core.celery import app


def build_ingest_signature(project_dir: str, database_name: str, source_path: str) -> signature:
    """Build a Celery signature for the rag.ingest_file task."""
    return signature(
        "rag.ingest_file",
        args=[project_dir, database_name, source_path],
        app=app,
    )


def build_query_signature(project_dir: str, database_name: str, query: str) -> signature:
    return signature("rag.search", args=[project_dir, database_name, query], app=app)


async def ingest_file_with_rag(
    project_dir: str,
    database_name: str,
    source_path: str,
    timeout: int = 300,
    poll_interval: float = 2.0,
) -> tuple[bool, dict[str, Any]]:
    """The checklist's pattern: bounded, non-blocking, failure-aware. No findings."""
    sig = build_ingest_signature(project_dir, database_name, source_path)
    result = sig.apply_async()

    waited = 0.0
    while waited < timeout:
        try:
            status = result.status
            if status not in ("PENDING", "STARTED"):
                break
        except Exception:
            await asyncio.sleep(poll_interval)
            waited += poll_interval
            continue

        await asyncio.sleep(poll_interval)
        waited += poll_interval

    if result.status == "SUCCESS":
        return True, result.result
    elif result.status == "FAILURE":
        if hasattr(result, "traceback") and result.traceback:
            raise Exception(f"Task failed: {result.traceback}")
        raise Exception("Task failed")

    return False, {"error": f"Task timed out with status: {result.status}"}


async def search_with_rag(project_dir: str, database_name: str, query: str) -> list[dict]:
    result = build_query_signature(project_dir, database_name, query).apply_async()
    # CEL003: waits forever when the worker is down.
    while result.status in ("PENDING", "STARTED"):
        # CEL002: blocks the event loop of the whole API server.
        time.sleep(1)
    # CEL004: a FAILURE falls through and returns an empty list as if nothing matched.
    if result.status == "SUCCESS":
        return result.result
    return []


def _run_sync_task_with_polling(task_signature, timeout: float, poll_interval: float) -> Any:
    """Helper for synchronous contexts to poll a Celery AsyncResult."""
    result = task_signature.apply_async()
    waited = 0.0

    while waited < timeout:
        try:
            status = result.status
            if status not in ("PENDING", "STARTED"):
                break
        except Exception:
            time.sleep(poll_interval)
            waited += poll_interval
            continue
        time.sleep(poll_interval)
        waited += poll_interval

    if result.status == "SUCCESS":
        return result.result
    elif result.status == "FAILURE":
        if hasattr(result, "traceback") and result.traceback:
            raise Exception(f"Task failed: {result.traceback}")
        raise Exception("Task failed")

    return None


def database_stats(project_dir: str, database_name: str) -> dict[str, Any]:
    task = signature("rag.database_stats", args=[project_dir, database_name], app=app)
    # CEL010: returns None to the API layer when the worker is slow.
    return _run_sync_task_with_polling(task, timeout=30, poll_interval=0.5)


def health_check() -> dict[str, Any]:
    task = signature("rag.health", app=app)
    return _run_sync_task_with_polling(task, timeout=5, poll_interval=0.5) or {
        "status": "degraded",
        "message": "Task timed out",
    }


def fetch_result(task_id: str) -> Any:
    result = AsyncResult(task_id, app=app)
    if result.status == "FAILURE":
        # CEL011: the worker's traceback is thrown away.
        raise RuntimeError("Ingestion failed")
    if result.ready():
        return result.get(timeout=1)
    return None


def wait_for_embedding(task_id: str) -> Any:
    result = app.AsyncResult(task_id)
    # CEL003: `.get()` without a timeout blocks the request thread forever.
    return result.get()

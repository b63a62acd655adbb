"""Search and reindexing through the RAG worker: two mistakes that sending tasks by name makes easy."""

from celery import signature

from server.core.celery import app
from server.core.celery.rag_client import _run_sync_task_with_polling


def search_documents(project_dir: str, database_name: str, query: str, limit: int = 10) -> list[dict]:
    # CEL013: `rag.search` takes 3 arguments; the limit makes 4 and the worker raises TypeError.
    task = signature("rag.search", args=[project_dir, database_name, query, limit], app=app)
    return _run_sync_task_with_polling(task, timeout=30, poll_interval=0.5) or []


def reindex(project_dir: str, database_name: str) -> str:
    # CEL012: a typo: no task is registered as `rag.reindx`, so the result stays PENDING forever.
    return signature("rag.reindx", args=[project_dir, database_name], app=app).apply_async().id

"""Folder ingestion in the RAG worker: a task that waits on the tasks it starts."""

from rag.celery_app import app
from rag.tasks import ingest_file


@app.task(name="rag.ingest_folder")
def ingest_folder(project_dir: str, database_name: str, paths: list[str]) -> list[dict]:
    # CEL015: waiting on another task inside a task raises RuntimeError (and can deadlock the worker).
    return [ingest_file.delay(project_dir, database_name, path).get(timeout=600) for path in paths]

"""Parallel ingestion with Celery groups."""

import hashlib
import uuid

from celery import group as celery_group

from server.core.celery import app
from server.core.celery.rag_client import build_ingest_signature


def hash_file(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def dispatch_parallel_ingestion(namespace: str, project_id: str, project_dir: str,
                                database: str, file_paths: list[str]) -> str:
    """The checklist's pattern: the group's children are stored for status tracking."""
    signatures = [build_ingest_signature(project_dir, database, path) for path in file_paths]
    task_group = celery_group(signatures)
    group_result = task_group.apply_async()

    # GroupResult.restore() doesn't work well with the filesystem backend.
    task_id = str(uuid.uuid4())
    metadata = {
        "type": "group",
        "namespace": namespace,
        "project": project_id,
        "children": [child.id for child in group_result.results],
        "file_hashes": [hash_file(p) for p in file_paths],
    }
    app.backend.store_result(task_id, metadata, "PENDING")
    return task_id


def reindex_all(project_dir: str, database: str, file_paths: list[str]) -> str:
    signatures = [build_ingest_signature(project_dir, database, path) for path in file_paths]
    # CEL005: nobody can ask for the status of this batch later.
    group_result = celery_group(signatures).apply_async()
    return group_result.id

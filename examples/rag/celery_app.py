"""The RAG worker's Celery app: complete configuration, logging left to structlog."""

import sys
from pathlib import Path

from celery import Celery, signals

DATA_DIR = Path.home() / ".llamafarm"


def file_url(path: str) -> str:
    result_backend_path = path.replace("\\", "/")
    if sys.platform == "win32" and path[1] == ":":
        return f"file:///{result_backend_path}"
    return f"file://{result_backend_path}"


app = Celery("rag", broker="filesystem://", backend=file_url(str(DATA_DIR / "results")))


@signals.setup_logging.connect
def setup_celery_logging(**kwargs):
    pass  # Prevent Celery from overriding the root logger


app.conf.update({
    "task_serializer": "json",
    "accept_content": ["json"],
    "result_serializer": "json",
    "timezone": "UTC",
    "enable_utc": True,
    "task_routes": {
        "rag.*": {"queue": "rag"},
        "core.celery.tasks.*": {"queue": "server"},
    },
})

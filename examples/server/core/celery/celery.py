"""The server's Celery app. The RAG worker consumes from the same broker."""

import os
from pathlib import Path

from celery import Celery

DATA_DIR = Path(os.environ.get("LF_DATA_DIR", Path.home() / ".llamafarm"))
broker_dir = str(DATA_DIR / "broker")
results_dir = str(DATA_DIR / "results")

# CEL008: nothing stops Celery from replacing the structlog configuration.
app = Celery("llamafarm")

# CEL007: a Windows path such as C:\data gives the invalid URL "file://C:\data".
result_backend_url = "file://" + results_dir

# CEL006: no serializer, timezone or routing configured.
app.conf.update(
    {
        "broker_url": "filesystem://",
        "broker_transport_options": {
            "data_folder_in": broker_dir,
            "data_folder_out": broker_dir,
        },
        "result_backend": result_backend_url,
    }
)


def run_worker():
    """The server runs its own worker (in a thread, on the filesystem broker)."""
    app.worker_main(argv=["worker", "-P", "solo"])

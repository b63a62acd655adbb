"""Routing of the server's app: which queue each RAG task goes to."""

from server.core.celery import app

app.conf.task_routes = {
    "rag.*": {"queue": "rag"},
    # CEL014: a typo: no task is named rag.serch..., so searches never reach their own queue.
    "rag.serch*": {"queue": "rag-search"},
}

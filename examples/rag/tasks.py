"""Tasks the RAG worker runs. Code inside the `rag` package may import from it freely."""

from rag.celery_app import app


@app.task(name="rag.ingest_file")
def ingest_file(project_dir: str, database_name: str, source_path: str) -> dict:
    return {"project_dir": project_dir, "database": database_name, "source": source_path, "chunks": 0}


@app.task(name="rag.search")
def search(project_dir: str, database_name: str, query: str) -> list[dict]:
    return []


@app.task(name="rag.health")
def health() -> dict:
    return {"status": "ok"}


@app.task(name="rag.database_stats")
def database_stats(project_dir: str, database_name: str) -> dict:
    return {"project_dir": project_dir, "database": database_name, "documents": 0}


@app.task(name="rag.reindex")
def reindex(project_dir: str, database_name: str) -> int:
    return 0

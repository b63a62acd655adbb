"""Search endpoint of the FastAPI server."""

from fastapi import APIRouter

from server.core.celery.rag_search import search_documents

router = APIRouter(prefix="/v1/search")


@router.get("/{namespace}/{project}")
async def search(namespace: str, project: str, q: str) -> list[dict]:
    # CEL016: search_documents waits for the worker with time.sleep: it blocks the event loop.
    return search_documents(f"{namespace}/{project}", "main", q)

"""Celery integration of the server: the app and the client for the RAG worker."""

from .celery import app

__all__ = ["app"]

"""celery-patterns: Celery best-practice checks, quick fixes and a language server."""

__version__ = "0.1.0"

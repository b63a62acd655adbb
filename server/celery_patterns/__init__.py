"""celery-patterns: Celery best-practice checks, quick fixes and a language server."""

__version__ = "0.1.0"

# The project's home, as `[project.urls]` in pyproject.toml says (a test keeps them equal):
# rule pages linked from the editor, SARIF's `helpUri`s and the README all point here.
REPOSITORY_URL = "https://github.com/celery-patterns/celery-patterns"
DOCS_URL = f"{REPOSITORY_URL}/blob/main/docs/rules"


def rule_doc_url(code: str) -> str:
    """The web page of a rule's documentation (CEL000 included)."""
    return f"{DOCS_URL}/{code.upper()}.md"

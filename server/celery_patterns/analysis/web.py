"""Web framework routes: the path a route decorator gives its function (FastAPI/Starlette
`@router.post(...)`, Flask `@bp.route(...)`, DRF `@action(url_path=...)`), and the methods
of a class-based view that handle HTTP requests."""

from __future__ import annotations

import ast

from .facts import ModuleFacts
from .strings import constant_text

ROUTE_METHODS = frozenset("get post put patch delete head options route api_route websocket action".split())
PATH_KEYWORDS = ("path", "rule", "url_path", "url", "route")
HTTP_HANDLERS = frozenset({"get", "post", "put", "patch", "delete"})
NOT_ROUTES = (
    "unittest.mock.",
    "mock.",
    "pytest.",
    "pytest_mock.",
)  # decorators named like HTTP methods  # `class CancelJobView: def post(...)`


def route_path(facts: ModuleFacts, decorator: ast.expr) -> str | None:
    """The path of `@router.post("/x/cancel")`, `@app.route(rule=...)`, `@action(url_path=...)`;
    of a path built from parts (`f"{PREFIX}/jobs/{{id}}/cancel"`, `PREFIX + "/abort"`), the
    parts that can be read; None when the decorator is no route or nothing can be read."""
    if not isinstance(decorator, ast.Call):
        return None
    func = decorator.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    if method not in ROUTE_METHODS:
        return None
    if (facts.resolve(func) or "").startswith(NOT_ROUTES):
        return None  # `@mock.patch("...cancel...")` patches, it routes nothing
    paths = [constant_text(facts, decorator.args[0])] if decorator.args else []
    paths += [constant_text(facts, k.value) for k in decorator.keywords if k.arg in PATH_KEYWORDS]
    return " ".join(p for p in paths if p) or None

"""Web framework routes: the path a route decorator gives its function (FastAPI/Starlette
`@router.post(...)`, Flask `@bp.route(...)`, DRF `@action(url_path=...)`), the methods
of a class-based view that handle HTTP requests, and the views a module registers by
reference (Django's `path("x/", views.run)`, `FooView.as_view()`, DRF's
`router.register("jobs", JobViewSet)`, Flask's `add_url_rule(view_func=...)`, FastAPI's
`add_api_route`, Starlette's `Route("/x", endpoint)`)."""

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
    "django.contrib.admin.",  # `@admin.action(...)`: an admin page's bulk action, no API route
)  # decorators named like HTTP methods  # `class CancelJobView: def post(...)`


def is_route(facts: ModuleFacts, decorator: ast.expr) -> bool:
    """`@router.post("/x")`, `@app.route(...)`, `@bp.get(...)`, `@action(detail=True)`: the
    decorated function answers HTTP requests (`@mock.patch(...)` and the like do not)."""
    if not isinstance(decorator, ast.Call):
        return False
    func = decorator.func
    method = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
    return method in ROUTE_METHODS and not (facts.resolve(func) or "").startswith(NOT_ROUTES)


def route_path(facts: ModuleFacts, decorator: ast.expr) -> str | None:
    """The path of `@router.post("/x/cancel")`, `@app.route(rule=...)`, `@action(url_path=...)`;
    of a path built from parts (`f"{PREFIX}/jobs/{{id}}/cancel"`, `PREFIX + "/abort"`), the
    parts that can be read; None when the decorator is no route or nothing can be read."""
    if not isinstance(decorator, ast.Call) or not is_route(facts, decorator):
        return None  # (`@mock.patch("...cancel...")` patches, it routes nothing)
    paths = [constant_text(facts, decorator.args[0])] if decorator.args else []
    paths += [constant_text(facts, k.value) for k in decorator.keywords if k.arg in PATH_KEYWORDS]
    return " ".join(p for p in paths if p) or None


# --- views registered by reference ------------------------------------------------------------
_URL_FUNCTIONS = frozenset(
    {
        "django.urls.path",
        "django.urls.re_path",
        "django.urls.conf.path",
        "django.urls.conf.re_path",
        "django.conf.urls.url",
        "django.conf.urls.re_path",
    }
)
_ROUTE_CLASSES = frozenset(
    {"starlette.routing.Route", "starlette.routing.WebSocketRoute", "fastapi.routing.APIRoute", "fastapi.APIRoute"}
)
_VIEW_WRAPPER_DEPTH = 3  # `csrf_exempt(login_required(views.run))`


def registered_views(facts: ModuleFacts) -> list[ast.expr]:
    """The functions and classes this module registers as views, as written (`views.run`,
    `RunView` of `RunView.as_view()`, `JobViewSet`): the view of Django's `path()`,
    `re_path()`, `url()` (an `include(...)` of another urlconf is none), of
    `router.register(prefix, ViewSet)`, of Flask's `add_url_rule(rule, endpoint, view_func)`,
    FastAPI's `add_api_route(path, endpoint)` and Starlette's `Route(path, endpoint)`."""
    source = facts.source
    if not any(word in source for word in ("django", "register", "add_url_rule", "add_api_route", "Route")):
        return []
    found = []
    for call in facts.nodes(ast.Call):
        view = _view_argument(facts, call)
        if view is not None:
            target = _unwrapped(facts, view, 0)
            if target is not None:
                found.append(target)
    return found


def _view_argument(facts: ModuleFacts, call: ast.Call) -> ast.expr | None:
    func = call.func
    name = _name_of(func)  # (resolved only when the name may be one of these)
    if isinstance(func, ast.Attribute) and name == "register" and "router" in _name_of(func.value).lower():
        return _argument(call, 1, ("viewset",))  # DRF: `router.register("jobs", JobViewSet)`
    if name == "add_url_rule":
        return _argument(call, 2, ("view_func",))
    if name == "add_api_route":
        return _argument(call, 1, ("endpoint",))
    if name in ("path", "re_path", "url") and facts.resolve(func) in _URL_FUNCTIONS:
        return _argument(call, 1, ("view",))
    if name in ("Route", "WebSocketRoute", "APIRoute") and facts.resolve(func) in _ROUTE_CLASSES:
        return _argument(call, 1, ("endpoint",))
    return None


def _unwrapped(facts: ModuleFacts, view: ast.expr, depth: int) -> ast.expr | None:
    """`views.run` as it is, `RunView.as_view()` as `RunView`, `csrf_exempt(views.run)` as
    `views.run`; None for `include(...)` or anything else."""
    if isinstance(view, (ast.Name, ast.Attribute)):
        return view
    if not isinstance(view, ast.Call) or depth >= _VIEW_WRAPPER_DEPTH:
        return None
    func = view.func
    if isinstance(func, ast.Attribute) and func.attr in ("as_view", "as_asgi", "as_viewset"):
        return func.value if isinstance(func.value, (ast.Name, ast.Attribute)) else None
    if (facts.resolve(func) or "").endswith(".include") or len(view.args) != 1 or view.keywords:
        return None
    return _unwrapped(facts, view.args[0], depth + 1)


def _argument(call: ast.Call, position: int, keywords: tuple[str, ...]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg in keywords:
            return keyword.value
    if len(call.args) > position and not any(isinstance(a, ast.Starred) for a in call.args[: position + 1]):
        return call.args[position]
    return None


def _name_of(expr: ast.expr) -> str:
    return expr.attr if isinstance(expr, ast.Attribute) else expr.id if isinstance(expr, ast.Name) else ""

"""What one module tells the rest of the workspace: its module summary.

A summary is small plain data computed from the module's facts (the parse the check makes
anyway, see `summarise.py`): the tasks it defines, the tasks it dispatches, its Celery apps
and the settings it gives them, the names it imports and the string constants it defines,
and for each of its functions the workspace calls it makes, the blocking calls and the
result waits in it. The project model (`project.py`) combines the summaries of every module
of the workspace; nothing in a summary refers to another module except by dotted name.

Names are absolute where the module can tell (`rag.tasks.ingest_file` for a name imported
from there, `server.jobs.poll` for the `poll` defined here); what it cannot tell stays
unresolved (None). Positions are this module's, 0-based.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ftypes import Range

# `Task.__init__`/decorator options shown on hover (a task's behaviour, not its identity).
TASK_OPTIONS = (
    "queue",
    "max_retries",
    "default_retry_delay",
    "autoretry_for",
    "retry_backoff",
    "retry_kwargs",
    "acks_late",
    "time_limit",
    "soft_time_limit",
    "rate_limit",
    "ignore_result",
    "priority",
    "base",
)
MODULE_CODE = "<module>"  # the function name under which module-level code is summarised
# What a summary holds and how it is read: part of every cache key, so that a summariser
# that reads code differently never meets the summaries an older one wrote.
SCHEMA = "7"  # (7: digests are BLAKE2b)


@dataclass(frozen=True)
class Parameter:
    name: str
    kind: str  # "positional_only", "positional", "var_positional", "keyword_only", "var_keyword"
    has_default: bool


@dataclass(frozen=True)
class TaskDef:
    """A task this module defines."""

    function: str  # the function (or class) name in the module
    span: Range  # its name in the `def`/`class` line
    parameters: tuple[Parameter, ...] | None  # as a dispatcher passes them (no `self` when bound); None: unknown
    name: str | None = None  # the `name=` string, when written as a literal
    name_ref: str | None = None  # ... or the absolute name of the constant it is written as
    named: bool = False  # `name=` is given (when neither of the above: built at run time)
    app: str | None = None  # absolute name of the app whose `.task` made it; None for `shared_task`
    app_unsure: bool = False  # `app` is imported under a name that does not say it is an app: the model decides
    doc: str = ""  # the first paragraph of its docstring
    options: tuple[tuple[str, str], ...] = ()  # (option, source text) from TASK_OPTIONS


@dataclass(frozen=True)
class Dispatch:
    """A task sent from this module, by name (`signature("rag.x")`) or directly (`x.delay()`)."""

    method: str  # signature, Signature, subtask, send_task, beat, delay, apply_async, s, si
    span: Range  # the name string (by name) or the callee (direct)
    call: Range  # the whole call (the beat entry's dict)
    function: str  # the function it sits in (MODULE_CODE for module-level code)
    name: str | None = None  # by name: the string, when known whole
    name_ref: str | None = None  # by name: the absolute name of the constant holding it
    literal: bool = False  # by name: `span` is the string itself (a literal the fix may edit)
    target: str | None = None  # direct: absolute name of what `.delay()` is called on
    positional: int | None = None  # how many positional arguments, when all are known
    keywords: tuple[str, ...] | None = None  # keyword argument names, when all are known
    sent: bool = False  # sent as it is (`delay`, `apply_async`, `send_task`, `signature(...).delay()`)
    callback: bool = False  # a chain/chord callback or `link=`: receives the previous result first
    app: str | None = None  # absolute name of the app it is sent through, when it says
    routed: bool = False  # the call (or the send of its signature) says its queue, or may (`**options`)

    @property
    def by_name(self) -> bool:
        return self.target is None


@dataclass(frozen=True)
class AppDef:
    """A Celery app this module makes, and what this module sets on it."""

    variable: str | None  # the module-level name it is bound to
    span: Range  # the `Celery(...)` call
    main: str | None  # `Celery("rag")`
    settings: tuple[tuple[str, object], ...] = ()  # key -> literal value (JSON-able) or UNKNOWN
    loads: tuple[str, ...] = ()  # what `config_from_object` loads: absolute module or object names
    hidden: str | None = None  # why some settings cannot be seen here
    namespace: str | None = None
    includes: tuple[str, ...] = ()  # task modules named by `include=`/`imports`/`autodiscover_tasks`
    starts_worker: bool = False  # `app.worker_main()`, `app.Worker(...)`, `app.start()` in this module
    sources: tuple[SettingsSource, ...] = ()  # settings loaded from elsewhere, for the model to read
    opaque: str | None = None  # why some settings cannot be seen even with the whole workspace
    worker_imports: tuple[str, ...] = ()  # modules `autodiscover_tasks(["pkg"])` imports (`pkg.tasks`)
    discovers: bool = False  # `autodiscover_tasks()` of packages not listed here (Django's installed apps)
    factory: bool = False  # made in a function that returns it
    throwaway: bool = False  # a function's local that never leaves it (no return, yield, global, worker)


@dataclass(frozen=True)
class RouteKey:
    """A `task_routes` key: the name or glob it routes and where it is written."""

    pattern: str
    queue: str | None
    span: Range
    app: str | None  # the app whose settings it is in (absolute name), when known


@dataclass(frozen=True)
class SettingsSource:
    """Settings an app loads from what its module cannot read itself: the model reads them."""

    kind: str  # "object": a module, class or dict loaded whole; "value": a dict, or what a function returns
    name: str  # absolute dotted name (`pkg.mod:Obj` as `config_from_object("pkg.mod:Obj")` writes it)
    span: Range
    namespace: str | None = None  # the settings' prefix (`CELERY` for Django's `CELERY_...`)


@dataclass(frozen=True)
class AppUse:
    """What this module does to a Celery app it imports (made in another module)."""

    app: str  # absolute name of the app
    settings: tuple[tuple[str, object], ...] = ()
    sources: tuple[SettingsSource, ...] = ()
    opaque: str | None = None
    namespace: str | None = None
    worker_imports: tuple[str, ...] = ()
    discovers: bool = False
    starts_worker: bool = False


@dataclass(frozen=True)
class ConfigObject:
    """The Celery settings a module-level dict, class or function (its result) holds."""

    settings: tuple[tuple[str, object], ...] = ()  # key -> literal value (JSON-able) or UNKNOWN
    refs: tuple[str, ...] = ()  # absolute names of what is merged in: bases, `**other`, a returned call
    complete: bool = True  # nothing else went in that the model cannot follow


@dataclass(frozen=True)
class CallSite:
    target: str  # absolute name of the callee
    call: Range  # the whole call
    awaited: bool = False
    in_thread: bool = False  # handed to `asyncio.to_thread` / `run_in_executor` rather than called


@dataclass(frozen=True)
class Block:
    """A call that blocks the thread: `time.sleep`, a wait on a Celery result, a polling helper."""

    kind: str  # "sleep", "wait", "polling"
    text: str  # the call as written (`time.sleep(1)`, `result.get()`)
    span: Range
    exempt: bool = False  # a wait that Celery allows in a task (`disable_sync_subtasks=False`, `allow_join_result`)


@dataclass(frozen=True)
class Function:
    name: str  # in the module: `poll`, `Client.poll`, MODULE_CODE
    is_async: bool
    calls: tuple[CallSite, ...] = ()
    blocks: tuple[Block, ...] = ()
    current_task_only: tuple[Range, ...] = ()  # branches taken only inside a task (`if current_task:`)
    outside_task_only: tuple[Range, ...] = ()  # ... only outside one (`if not current_task:`, the else)


@dataclass
class ModuleSummary:
    path: str
    module: str | None
    is_package: bool = False  # an `__init__.py`
    aliases: dict[str, str] = field(default_factory=dict)  # module-level name -> absolute name it refers to
    constants: dict[str, str] = field(default_factory=dict)  # module-level NAME -> its string value
    tasks: list[TaskDef] = field(default_factory=list)
    dispatches: list[Dispatch] = field(default_factory=list)
    apps: list[AppDef] = field(default_factory=list)
    routes: list[RouteKey] = field(default_factory=list)
    functions: dict[str, Function] = field(default_factory=dict)
    settings: dict[str, object] = field(default_factory=dict)  # module-level UPPER_CASE literals (Django)
    names_tasks: bool = False  # a class here overrides `gen_task_name`: default task names are its own
    opaque_routes: bool = False  # routes set here that the model cannot read (a router function, a call)
    digest: str = ""  # of what it was made from (`source_digest`): a check of the same text reuses it
    app_uses: list[AppUse] = field(default_factory=list)  # apps imported here and configured or started
    connects_logging: bool = False  # a `setup_logging` receiver is connected here
    imported_modules: list[str] = field(default_factory=list)  # modules imported at module level (absolute)
    star_imports: list[str] = field(default_factory=list)  # `from m import *`, split settings' `include(...)`
    django_settings: list[str] = field(default_factory=list)  # `DJANGO_SETTINGS_MODULE` defaults named here
    setting_names: dict[str, object] = field(default_factory=dict)  # Celery settings not in `settings`
    config_objects: dict[str, ConfigObject] = field(default_factory=dict)  # by module-level name
    always_eager: bool = False  # sets `task_always_eager` true (`CELERY_TASK_ALWAYS_EAGER = True`, ...)
    revokes: list[str] = field(default_factory=list)  # functions (MODULE_CODE too) that revoke Celery tasks
    starts_tasks: list[str] = field(default_factory=list)  # functions (MODULE_CODE too) that send a Celery task
    views: list[str] = field(default_factory=list)  # absolute names of what it registers as web views
    canvas_returns: dict[str, str] = field(default_factory=dict)  # function -> "group"/"chord"/"chain" it returns

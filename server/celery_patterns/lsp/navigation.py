"""Task names as references: go to a task, hover it, complete its name, find who sends it.

A task-name string in a dispatch by name (`signature("rag.ingest_file")`, `send_task`,
`subtask`, a `beat_schedule` entry's `"task"`, an exact `task_routes` key) refers to the
task the project model registers under that name, in whatever service defines it; so does
the callee of a direct dispatch (`ingest_file.delay(...)`). Everything here reads the
model; positions inside are code-point columns, converted to the client's encoding by
`Locator`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

from lsprotocol import types
from pygls.uris import from_fs_path

from ..files import SkippedFile, read_file
from ..ftypes import Position, Range
from ..inventory import parameters_text, queue_of
from ..model.project import Project, Task
from ..model.routing import Routing
from ..model.summary import ModuleSummary
from ..source import DecodeError, LineIndex, decode_source


@dataclass(frozen=True)
class Reference:
    """What the cursor is on: a task name (or a task's own `def`), and its range."""

    range: Range
    tasks: tuple[Task, ...]
    name: str | None  # the name as written (None on a `def` or a direct dispatch)


def reference_at(project: Project, summary: ModuleSummary, at: Position) -> Reference | None:
    service = project.service_of(summary.path)
    for dispatch in summary.dispatches:
        if dispatch.span.start <= at <= dispatch.span.end:
            name = project.dispatched_task_name(dispatch, service) if dispatch.by_name else None
            return Reference(dispatch.span, tuple(project.tasks_of(dispatch, service)), name)
    for route in summary.routes:
        if route.span.start <= at <= route.span.end and not any(c in route.pattern for c in "*?["):
            return Reference(route.span, tuple(project.tasks_by_name.get(route.pattern, ())), route.pattern)
    for definition in summary.tasks:
        if definition.span.start <= at <= definition.span.end:
            task = next(
                (
                    t
                    for t in project.tasks
                    if t.summary.path == summary.path and t.definition.function == definition.function
                ),
                None,
            )
            return Reference(definition.span, (task,) if task else (), None)
    return None


def current(project: Project, task: Task) -> Task:
    """The task as the project's current summary of its module has it (an open buffer may
    have moved it since the model's indexes were made)."""
    summary = project.summaries.get(task.summary.path)
    if summary is None or summary is task.summary:
        return task
    definition = next((d for d in summary.tasks if d.function == task.definition.function), task.definition)
    return Task(definition, summary, task.service, task.name)


def dispatches_of(project: Project, task: Task) -> list[tuple[ModuleSummary, Range]]:
    """Where the task is sent from, by name or directly, across the workspace."""
    found = []
    for dispatch, summary, service in project.dispatches():
        if any(
            t.name == task.name and t.summary.path == task.summary.path for t in project.tasks_of(dispatch, service)
        ):
            found.append((summary, dispatch.span))
    return found


def hover_markdown(project: Project, task: Task) -> str:
    """The task as a dispatcher needs it: name and parameters, docstring, where it lives,
    its queue and its options."""
    queue = queue_of(Routing.of(project, task.service), task)
    relative = os.path.relpath(task.summary.path, project.root)
    service = os.path.relpath(task.service.root, project.root)
    lines = [f"```python\n{task.label}{parameters_text(task)}\n```"]
    if task.definition.doc:
        lines.append(task.definition.doc)
    lines.append(f"Service `{service}` · module `{task.summary.module or relative}` · queue `{queue}`")
    if task.definition.options:
        lines.append("Options: " + ", ".join(f"`{key}={value}`" for key, value in task.definition.options))
    return "\n\n".join(lines)


# --- completion -----------------------------------------------------------------------------
# The start of a task-name string being typed, up to the cursor: the first argument of
# `signature(`, `Signature(`, `subtask(`, `.signature(`, `.send_task(` (or its `name=`), or a
# beat entry's `"task": `.
_OPENING = re.compile(
    r"""(?:\b(?:signature|Signature|subtask|send_task)\s*\(\s*(?:name\s*=\s*)?|["']task["']\s*:\s*)"""
    r"""(?P<quote>["'])(?P<typed>[\w.:\-]*)$"""
)


def typed_name(line: str, column: int) -> tuple[int, str] | None:
    """(column where the name starts, what is typed of it) when the cursor is inside the
    task-name string of a dispatch by name, else None."""
    match = _OPENING.search(line[:column])
    if match is None:
        return None
    return match.start("typed"), match.group("typed")


MAX_ITEMS = 500  # task names in one completion list; more, and it says it is incomplete


class Catalog:
    """The completion items of a model's registered task names, as JSON text: made once per
    interface of the workspace (`Project.lasting`), not per request. A name's documentation
    (its hover text) is left to `completionItem/resolve`: building it for thousands of tasks
    on every request would cost more than the rest."""

    def __init__(self, project: Project) -> None:
        services: dict[str, str] = {}
        self.names: list[str] = []  # as JSON strings
        self.lowered: list[str] = []
        self.items: list[str] = []  # each item's JSON object, without its closing brace
        for name, tasks in sorted(project.tasks_by_name.items()):
            task = tasks[0]
            root = task.service.root
            if root not in services:
                services[root] = os.path.relpath(root, project.root)
            detail = f"{parameters_text(task)} · {services[root]}"
            self.names.append(json.dumps(name))
            self.lowered.append(name.lower())
            self.items.append(
                f'{{"label":{self.names[-1]},"kind":{int(types.CompletionItemKind.Function)},'
                f'"detail":{json.dumps(detail)}'
            )

    @classmethod
    def of(cls, project: Project) -> Catalog:
        return project.lasting("lsp.completion", lambda: cls(project))

    def matching(self, typed: str, limit: int) -> tuple[list[int], bool]:
        """The first `limit` items whose name holds what is typed as a subsequence (any
        case), those that start with it first; and whether there are more. Clients filter by
        fuzzy matches, which are subsequences: what they would show of a longer name typed
        later is here too, so without more the list is complete for it."""
        typed = typed.lower()
        starting = [i for i, name in enumerate(self.lowered) if name.startswith(typed)]
        if len(starting) > limit or not typed:
            return starting[:limit], len(starting) > limit
        # `[^a]*a[^b]*b...`: matched in one pass, without backtracking
        pattern = re.compile("".join(f"[^{re.escape(c)}]*{re.escape(c)}" for c in typed))
        found = starting + [
            i for i, name in enumerate(self.lowered) if not name.startswith(typed) and pattern.match(name)
        ]
        return found[:limit], len(found) > limit

    def list_json(self, typed: str, edit_range: types.Range, data: str, item_defaults: bool) -> str:
        """A `CompletionList` of the names matching `typed`, each replacing `edit_range` (once
        in `itemDefaults` for clients that take it, else in each item); `data` says where
        they come from, in `itemDefaults` only (`resolve_documentation` finds a name without)."""
        where = (
            f'{{"start":{{"line":{edit_range.start.line},"character":{edit_range.start.character}}},'
            f'"end":{{"line":{edit_range.end.line},"character":{edit_range.end.character}}}}}'
        )
        # Thousands of names are of no use in a list and cost their size on every request:
        # the first MAX_ITEMS, said to be incomplete, and the client asks again as more is typed.
        matching, incomplete = self.matching(typed, MAX_ITEMS)
        if item_defaults:
            items = ",".join(self.items[i] + "}" for i in matching)
            defaults = f'"itemDefaults":{{"editRange":{where},"data":{data}}},'
        else:
            items = ",".join(
                f'{self.items[i]},"textEdit":{{"range":{where},"newText":{self.names[i]}}}}}' for i in matching
            )
            defaults = ""
        return f'{{"isIncomplete":{"true" if incomplete else "false"},{defaults}"items":[{items}]}}'


def completion_json(
    project: Project,
    line: int,
    start: int,
    column: int,
    typed: str,
    index: LineIndex,
    encoding: str,
    item_defaults: bool,
) -> str:
    """The completion list for a task name typed from `start` to `column` of `line`."""
    edit_range = types.Range(
        start=types.Position(line=line, character=index.to_client_column(Position(line, start), encoding)),
        end=types.Position(line=line, character=index.to_client_column(Position(line, column), encoding)),
    )
    data = json.dumps({"root": project.root})
    return Catalog.of(project).list_json(typed, edit_range, data, item_defaults)


def resolve_documentation(item: types.CompletionItem, projects: list[Project]) -> types.CompletionItem:
    """A completion item of a task name, with the task's hover text as its documentation."""
    root = item.data.get("root") if isinstance(item.data, dict) else None
    for project in sorted(projects, key=lambda p: p.root != root):  # its own folder's first
        tasks = project.tasks_by_name.get(item.label)
        if tasks:
            item.documentation = types.MarkupContent(
                kind=types.MarkupKind.Markdown, value=hover_markdown(project, tasks[0])
            )
            break
    return item


# --- positions in other files -----------------------------------------------------------------
class Locator:
    """LSP locations of ranges in any file of the workspace, in the client's encoding (a
    file's text is read only when a line holds non-ASCII text)."""

    def __init__(self, encoding: str, texts: dict[str, str]) -> None:
        self.encoding = encoding
        self.texts = texts  # open buffers by path
        self._indexes: dict[str, LineIndex | None] = {}

    def location(self, path: str, rng: Range) -> types.Location:
        return types.Location(uri=from_fs_path(path) or path, range=self.range(path, rng))

    def range(self, path: str, rng: Range) -> types.Range:
        index = self._index(path)
        if index is None:
            return types.Range(
                start=types.Position(line=rng.start.line, character=rng.start.column),
                end=types.Position(line=rng.end.line, character=rng.end.column),
            )
        return types.Range(
            start=types.Position(line=rng.start.line, character=index.to_client_column(rng.start, self.encoding)),
            end=types.Position(line=rng.end.line, character=index.to_client_column(rng.end, self.encoding)),
        )

    def _index(self, path: str) -> LineIndex | None:
        if path not in self._indexes:
            text = self.texts.get(path)
            if text is None:
                try:
                    text = decode_source(read_file(path))
                except (OSError, SkippedFile, DecodeError):
                    text = None
            self._indexes[path] = LineIndex(text) if text is not None and not text.isascii() else None
        return self._indexes[path]

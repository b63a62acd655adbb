"""Checking successive versions of one editor buffer, reusing what an edit did not touch.

Most keystrokes change one function. `BufferChecker` parses each version incrementally
(`reparse.py`, which hands back the very statement objects it did not reparse) and keeps,
for every top-level `def` and `class`, the findings the rules reported inside it. For the
next version it runs the rules on a copy of the module in which each unchanged def and
class is a stub (the same decorators, name and signature; its body a single `pass`), and
adds the stored findings of those statements, moved by as many lines as they moved. Only
the statements the edit touched and the module-level code are analysed again.

That is only right for rules whose results are local (`Rule.local`):

- what the rule reports inside a top-level def or class depends on nothing but that
  statement and the module-level code: the statements that are not top-level defs or
  classes, and the decorators, names and signatures of those that are;
- what it reports anywhere else does not depend on the body of any top-level def or class.

A local rule may also depend on a decision for the whole file (whether the file is a test
of a service that runs tasks eagerly): that is its `settle` step, which the project feeds.
The stored findings are those of `check` alone, run without the project, and every check
settles them all again, with the whole-module rules. Other rules run on the whole module
every time. The stored findings are used only when the module-level code is as it was:
each statement the edit replaced is a def or class, replaced by one with the same
decorators, name and signature (neither with a `global`), and the file, settings and
rules are those the findings came from. Anything else is a full check. The property tests
compare every version's findings with a full check (`tests/test_incremental.py`).
"""

from __future__ import annotations

import ast
import bisect
import copy
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..analysis.facts import ModuleFacts
from ..analysis.units import UNIT_NODES, Unit, first_line, replaced_units_only
from ..ftypes import Finding, Position
from ..rules import Rule
from ..source import moved
from .reparse import IncrementalParser
from .run import run_rules


@dataclass(frozen=True)
class _Stored:
    first_line: int  # 0-based line the statement (its first decorator) started on
    findings: tuple[Finding, ...]  # the local rules' findings inside it


class BufferChecker:
    """Parses and checks one buffer's successive texts (one at a time; another thread may
    read the last tree meanwhile through `lent`).

    Passed to `engine.check_source(..., incremental=checker)`. It holds the last tree
    and its findings: keep one only for a buffer being edited. The facts a check returns
    hold until the next check: that one takes them over (`ModuleFacts(earlier=...)`),
    unless they are `lent` meanwhile.
    """

    def __init__(self) -> None:
        self.parser = IncrementalParser()
        self._statements: list[ast.stmt] = []  # the top-level statements of the last check
        self._stored: dict[Unit, _Stored] = {}  # by top-level def/class of that check
        self._key: tuple | None = None
        self.reused_units = 0  # top-level defs and classes not analysed again, last check (for tests)
        self._lent = threading.Lock()  # held while the last tree is read elsewhere (`lent`)
        self._facts: tuple | None = None  # (source, whole-module facts, tree) of the last check
        # The last facts of the whole module and of its stubbed copy: the next ones take
        # their unchanged units from them (`ModuleFacts(earlier=...)`), as the stubs are kept.
        self._whole: ModuleFacts | None = None
        self._stubbed: ModuleFacts | None = None
        self._stubs: dict[int, tuple[Unit, Unit]] = {}  # id(statement) -> (statement, its stub)
        self._takes_over = True  # (a fork's whole-module facts leave the ones they take from as they are)
        self._origin: BufferChecker | None = None  # the checker this one is a fork of
        self._handing = threading.Lock()  # between `forget` and a fork handing back (`_hand_back`)

    def fork(self) -> BufferChecker:
        """A checker that starts from this one's last check and leaves it as it is (its tree,
        its stored findings, its facts of the whole module): to check a text made from the last
        one (a fix's) while this one's tree is `lent`, and only then."""
        fork = BufferChecker()
        fork.parser = self.parser.fork()
        fork._statements, fork._stored, fork._key = self._statements, self._stored, self._key
        # (its facts copy what they take of this one's whole-module facts, which a fix reads;
        # its stubbed facts take this one's over and are handed back: `_hand_back`)
        fork._whole, fork._stubbed, fork._stubs, fork._takes_over = self._whole, self._stubbed, self._stubs, False
        fork._origin = self
        return fork

    def _hand_back(self, taken: ModuleFacts, stubbed: ModuleFacts, stubs: dict) -> None:
        """A fork took this checker's stubbed facts over: its own, of a text that differs from
        this one's last by the units a fix replaced, take their place (the next check takes
        its unchanged units from them, as from this one's), unless this checker moved on."""
        with self._handing:
            if self._stubbed is taken:
                self._stubbed, self._stubs = stubbed, {**stubs, **self._stubs}

    def parse(self, source: str, filename: str) -> ast.Module:
        # The last tree lent out (to a fix reading it) must not move under its reader: the
        # next version is then parsed afresh, leaving that tree as it is.
        if not self._lent.acquire(blocking=False):
            self.forget()
            return self.parser.parse(source, filename)
        try:
            return self.parser.parse(source, filename)
        finally:
            self._lent.release()

    @contextmanager
    def lent(self, source: str) -> Iterator[ModuleFacts | None]:
        """The facts of the whole module of the last check, if it was of `source` (the very
        string) and made them; their tree stays as it is until the caller is done (a fix,
        in another thread, reads it while the next version is checked)."""
        with self._lent:
            last = self._facts
            yield last[1] if last is not None and last[0] is source and last[2] is self.parser.last_tree else None

    def forget(self) -> None:
        with self._handing:
            self.parser.forget()
            self._statements, self._stored, self._key = [], {}, None
            self._facts = self._whole = self._stubbed = None
            self._stubs = {}

    def run(
        self, rules, tree: ast.Module, source: str, index, path: str, module_name: str | None, settings, project=None
    ):
        """`(findings, facts of the whole module or None, errors)`, as a full check would find."""
        local = [r for r in rules if r.local]
        whole = [r for r in rules if not r.local]
        key = (path, module_name, settings, tuple(r.code for r in local))
        facts = None
        found: list[Finding] = []
        local_errors: list[str] = []
        if local:
            # Local rules run first, on facts without the project: what they store per
            # function must not hold a per-file decision (that is `Rule.settle`'s, below).
            reusable = self._reusable(tree, key)
            self.reused_units = len(reusable)
            if reusable:
                stubbed = ast.Module(body=self._stubbed_body(tree, reusable), type_ignores=[])
                taken = self._stubbed
                # (a fork's too: nothing reads its origin's stubbed facts while its tree is lent)
                self._stubbed = ModuleFacts(
                    stubbed, source, index, path, module_name, earlier=taken, by_unit=True, take_over=True
                )
                if self._origin is not None and taken is not None:
                    self._origin._hand_back(taken, self._stubbed, self._stubs)
                new, local_errors = run_rules(local, self._stubbed, settings)
            else:
                facts = self._whole_facts(tree, source, index, path, module_name)
                new, local_errors = run_rules(local, facts, settings)
            units = Units(tree)
            found = [f for f in new if units.holding(f) not in reusable]
            # What each unit holds: the new findings split among the units analysed again,
            # the stored ones moved with their unit.
            stored = units.split(found, [s for s in units.statements if s not in reusable])
            for statement, kept in reusable.items():
                stored[statement] = moved_to = _moved_to(kept, units.first_line(statement))
                found.extend(moved_to.findings)
            # A rule that failed left findings missing: store nothing, so the next check is full.
            self._remember(tree, key, stored if not local_errors else {}, local_errors)
        else:
            self._remember(tree, key, {}, [])
        settling = [_Settling(r, found) for r in local if r.uses_project]
        if settling:
            settled = {r.code for r in settling}
            found = [f for f in found if f.code not in settled]
        if whole or settling:
            facts = facts or self._whole_facts(tree, source, index, path, module_name)
            findings, errors = run_rules([*whole, *settling], facts, settings, project)
        else:
            findings, errors = [], []
        findings.extend(found)
        errors.extend(local_errors)
        self._facts = (source, facts, tree) if facts is not None else None
        return findings, facts, errors

    def _whole_facts(self, tree: ast.Module, source: str, index, path: str, module_name: str | None) -> ModuleFacts:
        # The new facts take the last ones over: not while a fix reads those (`lent`), and
        # none is lent them from now on.
        earlier = None
        if self._lent.acquire(blocking=False):
            earlier, self._facts = self._whole, None
            self._lent.release()
        self._whole = ModuleFacts(
            tree, source, index, path, module_name, earlier=earlier, by_unit=True, take_over=self._takes_over
        )
        return self._whole

    def _stubbed_body(self, tree: ast.Module, reusable: dict[Unit, _Stored]) -> list[ast.stmt]:
        """The module's statements, each reusable unit as its stub: the same stub object as
        last time for the same statement (so its facts are taken, not walked again)."""
        stubs: dict[int, tuple[Unit, Unit]] = {}
        body: list[ast.stmt] = []
        for statement in tree.body:
            if not isinstance(statement, UNIT_NODES) or statement not in reusable:
                body.append(statement)
                continue
            kept = self._stubs.get(id(statement))
            stub = kept[1] if kept is not None and kept[0] is statement else _stub(statement)
            _place(stub, statement)
            stubs[id(statement)] = (statement, stub)
            body.append(stub)
        self._stubs = stubs
        return body

    # --- what can be reused -------------------------------------------------------------
    def _reusable(self, tree: ast.Module, key: tuple) -> dict[Unit, _Stored]:
        """The stored results of this version's unchanged top-level defs and classes, or
        nothing when the module-level code or the configuration changed."""
        if key != self._key or not self._stored or not replaced_units_only(self._statements, tree.body):
            return {}
        before = {id(s) for s in self._statements}
        return {s: self._stored[s] for s in tree.body if id(s) in before and s in self._stored}

    def _remember(self, tree: ast.Module, key: tuple, stored: dict, errors: list[str]) -> None:
        self._statements = list(tree.body)
        self._stored = stored
        self._key = key if not errors else None


class _Settling(Rule):
    """A local rule's `settle` on its findings, run with the whole-module rules (which
    give it the project and keep a failure from hiding the other rules)."""

    uses_project = True

    def __init__(self, rule: Rule, findings: list[Finding]) -> None:
        self.rule = rule
        self.findings = [f for f in findings if f.code == rule.code]

    @property  # the class's code is its rule's
    def code(self) -> str:  # type: ignore[override]
        return self.rule.code

    def check(self, facts: ModuleFacts, settings) -> Iterable[Finding]:
        return self.rule.settle(facts, self.findings)


class Units:
    """The top-level defs and classes of a module, by the lines they span."""

    def __init__(self, tree: ast.Module) -> None:
        self.statements: list[Unit] = [s for s in tree.body if isinstance(s, UNIT_NODES)]
        self.starts = [first_line(s) for s in self.statements]
        self.ends = [(s.end_lineno or s.lineno) - 1 for s in self.statements]
        self._first = dict(zip(self.statements, self.starts))

    def first_line(self, statement: Unit) -> int:
        return self._first[statement]

    def holding(self, finding: Finding) -> Unit | None:
        """The top-level def or class a finding lies in (by its first line), if any."""
        line = finding.range.start.line
        i = bisect.bisect_right(self.starts, line) - 1
        return self.statements[i] if i >= 0 and line <= self.ends[i] else None

    def split(self, findings: list[Finding], statements: list[Unit]) -> dict[Unit, _Stored]:
        """The findings in each of `statements` (the units the findings were looked for in)."""
        by_unit: dict[Unit, list[Finding]] = {s: [] for s in statements}
        for finding in findings:
            unit = self.holding(finding)
            if unit in by_unit:
                by_unit[unit].append(finding)
        return {s: _Stored(self._first[s], tuple(found)) for s, found in by_unit.items()}


def _stub(statement: Unit) -> Unit:
    """The statement with its body replaced by a `pass` where the body started."""
    stub = copy.copy(statement)
    first = statement.body[0]
    stub.body = [
        ast.Pass(
            lineno=first.lineno, col_offset=first.col_offset, end_lineno=first.lineno, end_col_offset=first.col_offset
        )
    ]
    return stub


def _place(stub: Unit, statement: Unit) -> None:
    """Move a kept stub to where its statement is now (lines above it came or went; its
    decorators and signature, shared with the statement, have moved with it)."""
    if stub.lineno != statement.lineno or stub.end_lineno != statement.end_lineno:
        stub.lineno, stub.end_lineno = statement.lineno, statement.end_lineno
        first = statement.body[0]
        stub.body[0].lineno = stub.body[0].end_lineno = first.lineno


def _moved_to(stored: _Stored, start: int) -> _Stored:
    """A unit's stored findings, moved to where the unit starts now."""
    lines = start - stored.first_line
    if not lines:
        return stored
    if lines > 0:  # as if `lines` line breaks were inserted before it
        found = moved(stored.findings, Position(stored.first_line, 0), Position(stored.first_line, 0), "\n" * lines)
    else:
        found = moved(stored.findings, Position(start, 0), Position(stored.first_line, 0), "")
    return _Stored(start, tuple(found))

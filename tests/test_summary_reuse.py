"""An editor buffer summarised on every keystroke: the summary of the last version is reused
when the edit changed no statement (a comment, a blank), and is always the summary a fresh
reading of the text gives."""

from __future__ import annotations

import ast
import textwrap

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from celery_patterns.analysis.facts import ModuleFacts
from celery_patterns.config import Settings
from celery_patterns.engine.reparse import IncrementalParser
from celery_patterns.model import summarise as summarising
from celery_patterns.model.cache import encode
from celery_patterns.model.summarise import summarise

MODULE = textwrap.dedent('''\
    from celery import Celery, signature

    app = Celery("rag")
    app.conf.task_routes = {"rag.*": {"queue": "rag"}}  # routed


    @app.task(name="rag.ingest_file", bind=True, max_retries=3)
    def ingest_file(self, project_dir, source_path):
        """Split a file into chunks."""
        # read it
        return 0


    def send(project_dir, path):
        # sent by name
        return signature("rag.ingest_file", args=[project_dir, path], app=app).apply_async()


    def config():
        conf = {"task_default_queue": "rag"}
        conf["task_acks_late"] = True
        return conf
''')
PATH = "/workspace/rag/tasks.py"


def summary_of(parser: IncrementalParser, text: str):
    tree = parser.parse(text, PATH)
    return summarise(ModuleFacts(tree, text, None, PATH, "rag.tasks", by_unit=True), Settings())  # as a buffer's are


def fresh(text: str):
    facts = ModuleFacts(ast.parse(text), text, None, PATH, "rag.tasks")
    summary = summarising._Summariser(facts, Settings()).run()
    summary.digest = summarising.source_digest(text, "rag.tasks", Settings())
    return summary


def counting(monkeypatch) -> list[int]:
    made = []
    run = summarising._Summariser.run

    def counted(self):
        made.append(1)
        return run(self)

    monkeypatch.setattr(summarising._Summariser, "run", counted)
    return made


def test_a_comment_typed_reuses_the_summary(monkeypatch):
    parser = IncrementalParser()
    first = summary_of(parser, MODULE)
    made = counting(monkeypatch)
    text = MODULE.replace("# sent by name", "# sent by name, as the worker registers it")
    second = summary_of(parser, text)
    assert not made
    assert encode(second) == encode(fresh(text)) and second.digest != first.digest
    assert parser.reused_statements  # (the statements that did not change are the same objects)


def test_code_changed_or_moved_is_summarised_again(monkeypatch):
    parser = IncrementalParser()
    summary_of(parser, MODULE)
    made = counting(monkeypatch)
    for text in (
        MODULE.replace('"rag.ingest_file", args', '"rag.ingest", args'),  # in a function
        MODULE.replace("# read it", "# read it\n    # then more"),  # a line more: what follows moved
        MODULE.replace("    # sent by name\n", "    #  sent by name\n").replace("def config", "def configure"),
    ):
        before = len(made)
        expected = fresh(text)
        assert encode(summary_of(parser, text)) == encode(expected)
        assert len(made) == before + 2  # the fresh reading, and this one: not reused


EDITS = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=len(MODULE)), st.sampled_from(["#", " ", "x", "\n", "# z\n", '"', ")"])
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(EDITS)
def test_every_version_has_the_summary_of_a_fresh_reading(edits):
    parser = IncrementalParser()
    text = MODULE
    summary_of(parser, text)
    for at, typed in edits:
        at = min(at, len(text))
        text = text[:at] + typed + text[at:]
        try:
            ast.parse(text)
        except SyntaxError:
            continue
        assert encode(summary_of(parser, text)) == encode(fresh(text))

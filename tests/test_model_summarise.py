"""Reading one module's summary: what a dispatch says about how its signature is used."""

from __future__ import annotations

from celery_patterns.config import Settings
from celery_patterns.model.build import summarise_source
from ruletest import dedent


def dispatches(source: str) -> list[tuple[str, str | None, bool]]:
    summary = summarise_source(dedent(source), "jobs.py", "jobs", Settings())
    assert summary is not None
    return [(d.method, d.name, d.sent) for d in summary.dispatches]


def test_a_signature_sent_after_set_is_sent():
    assert dispatches("""
        from celery import signature

        signature("rag.search").set(queue="q").delay()
        """) == [("signature", "rag.search", True)]


def test_a_signature_method_passed_along_is_not_a_send():
    # `f(sig.delay)` hands the method to `f`: nothing is called on the signature here.
    assert dispatches("""
        from celery import signature

        run_later(signature("rag.search").delay)
        run_later(signature("rag.search").set)
        """) == [("signature", "rag.search", False), ("signature", "rag.search", False)]


def test_a_set_literal_setting_summarises_the_same_in_every_process():
    # A set's order follows string hashing, which differs from process to process: the
    # summary (its interface, the cache keys made of it) must not.
    import os
    import subprocess
    import sys

    program = (
        "from celery_patterns.config import Settings\n"
        "from celery_patterns.model.build import summarise_source\n"
        "from celery_patterns.model.interface import interface\n"
        "s = summarise_source(\"STATES = {'ack', 'reject', 'requeue', 'retry', 'fail', 'pend', 'run', 'done'}\\n\","
        " 'states.py', 'states', Settings())\n"
        "print(s.settings['STATES'], interface(s))\n"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", program],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1, outputs

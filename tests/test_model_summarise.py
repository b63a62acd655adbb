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

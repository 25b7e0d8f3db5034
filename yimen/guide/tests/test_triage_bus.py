"""The triage index lives on the change bus: no catalog query per search while nothing changed,
rebuilt after a catalog change (topic "config"), kept when only the entry expired."""

import pytest

from yimen.catalog.models import ServiceItem
from yimen.core import changes
from yimen.guide import selectors

pytestmark = pytest.mark.django_db


def test_searches_reuse_the_index_without_a_query(demo, django_assert_num_queries):
    index = selectors.triage_index()
    with django_assert_num_queries(0):
        assert selectors.triage_index() is index


def test_a_catalog_change_rebuilds_the_index(demo):
    index = selectors.triage_index()
    item = ServiceItem.objects.filter(active=True).first()
    item.keywords = [*(item.keywords or []), "测试换证关键词"]
    item.save()  # post_save bumps "config" (queueing.signals)
    rebuilt = selectors.triage_index()
    assert rebuilt is not index
    assert rebuilt.search("测试换证关键词", limit=1)[0].code == item.code


def test_an_expired_entry_keeps_an_unchanged_index(demo, monkeypatch):
    index = selectors.triage_index()
    monkeypatch.setattr(changes, "MAX_AGE", {**changes.MAX_AGE, "config": (0.0, 0.0)})
    assert selectors.triage_index() is index  # fingerprint unchanged: not rebuilt

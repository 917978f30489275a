"""List adapters, one module per CMS family, behind one interface (:class:`crawler.cms.base.Adapter`).

The spider asks :func:`open_list` which family a 年报 column's first page belongs to; the first
adapter that recognises the page reads it, and the walk's later replies go back to that adapter
by name. :class:`~crawler.cms.generic.Generic` recognises every page, so it is last.
"""

from __future__ import annotations

from crawler.cms.anhui import Anhui
from crawler.cms.base import Adapter, Fetch, ListPage, Walk
from crawler.cms.generic import Generic, JsonApi
from crawler.cms.gkmlpt import Gkmlpt
from crawler.cms.hanweb import Hanweb, Jpaas, XxgkSearch
from crawler.cms.trs import Trs
from crawler.discovery import Link

ORDER: tuple[Adapter, ...] = (Hanweb(), Jpaas(), XxgkSearch(), Gkmlpt(), Anhui(), Trs(), JsonApi(), Generic())
ADAPTERS: dict[str, Adapter] = {a.name: a for a in ORDER}

__all__ = ["ADAPTERS", "Adapter", "Fetch", "ListPage", "Walk", "open_list"]


def open_list(html: str, url: str, links: list[Link]) -> tuple[Adapter, ListPage]:
    """The adapter for a list's first page and what it read there."""
    for adapter in ORDER:
        page = adapter.open(html, url, links)
        if page is not None:
            return adapter, page
    raise AssertionError("Generic reads every page")

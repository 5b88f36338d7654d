"""Paging of the API's read lists: ``limit`` and ``offset`` in the query, ``count`` and
``results`` in the answer. A page is cut to ``MAX_LIMIT``; a negative or absurd value is a
422, never a server error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema

MAX_LIMIT = 500
MAX_OFFSET = 1_000_000_000


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


def page_of[T](rows: QuerySet[Any, T] | Sequence[T], page: PageIn) -> tuple[int, list[T]]:
    """The number of rows in all, and the rows of the page."""
    count = rows.count() if isinstance(rows, QuerySet) else len(rows)
    return count, list(rows[page.offset : page.offset + page.limit])

"""The API's one pagination: limit/offset with bounds (an unbounded offset overflows SQLite)."""

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


class Pagination(LimitOffsetPagination):
    class Input(Schema):
        limit: int = Field(100, ge=1, le=MAX_LIMIT)
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


class Mapped:
    """A queryset whose rows are turned into outputs only once the pagination has sliced it: one
    COUNT and one page of rows, where a list built beforehand read and shaped every row the
    caller may see (a million deals for an executive) to return a hundred."""

    def __init__(self, queryset: QuerySet[Any], out: Callable[[Any], Any]) -> None:
        self.queryset = queryset
        self.out = out

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, page: slice) -> list[Any]:
        return [self.out(row) for row in self.queryset[page]]

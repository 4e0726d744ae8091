import datetime
import uuid
from uuid import UUID

from ninja import Field, Schema


class ScheduleRunOut(Schema):
    due_at: datetime.datetime
    status: str
    status_label: str
    count: int | None
    message_code: str
    message: str
    finished_at: datetime.datetime | None


class ScheduleOut(Schema):
    uuid: uuid.UUID
    kind: str
    label: str
    every: str
    enabled: bool
    weekday: int
    day: int
    hour: int
    minute: int
    time_zone: str
    version: int
    last_run: ScheduleRunOut | None
    next_run: datetime.datetime | None


class SchedulePatch(Schema):
    version: int | None = None
    enabled: bool | None = None
    weekday: int | None = Field(None, ge=0, le=6)
    day: int | None = Field(None, ge=1, le=28)
    hour: int | None = Field(None, ge=0, le=23)
    minute: int | None = Field(None, ge=0, le=59)


class JobOut(Schema):
    """Work queued for a worker (a rule change, a cascade run, a publication, a re-run); follow
    it at ``url``. ``created_by`` is the member who started it."""

    uuid: uuid.UUID
    kind: str
    label: str
    status: str
    status_label: str
    created_by: UUID | None
    created_by_name: str
    result: dict[str, object]
    message_code: str
    message: str
    created_at: datetime.datetime
    started_at: datetime.datetime | None
    finished_at: datetime.datetime | None
    url: str

"""What the API and the pages accept, declared once.

- `Error`: the one error schema of the API ({"code", "message"}); `errors(...)` declares the
  error statuses of an operation (400 and 422 always: bad text, unparsable or invalid input).
- `ScheduleDate` / `RecordDate`: date types for ninja query parameters and schemas, accepted only
  inside the sane window of core.validators.date_window (else 422 with a Chinese message).
- `form_date`: the same for a date typed into a form or a query string of a page (ValidationFailed
  → the page's 400 with the message).
"""

from datetime import date
from typing import Annotated

from ninja import Schema
from pydantic import AfterValidator, WithJsonSchema

from .errors import ValidationFailed
from .validators import date_window_problem, parse_date_text


class Error(Schema):
    """Every error of the API: a stable code and a Chinese message (details may follow)."""

    code: str
    message: str


def errors(*statuses: int) -> dict[int, type[Error]]:
    """Error responses of an operation: 400 (bad text, unparsable body) and 422 (invalid input)
    always, plus `statuses` (401/403 with auth, 404 for lookups, 409 for state, 413 for bodies)."""
    return {status: Error for status in sorted({400, 422, *statuses})}


def _window(kind: str):
    def check(value: date) -> date:
        problem = date_window_problem(value, "日期", kind)
        if problem:
            raise ValueError(problem)
        return value

    return check


_DATE_SCHEMA = {"type": "string", "format": "date"}
ScheduleDate = Annotated[date, AfterValidator(_window("schedule")), WithJsonSchema(_DATE_SCHEMA)]
RecordDate = Annotated[date, AfterValidator(_window("record")), WithJsonSchema(_DATE_SCHEMA)]


def form_date(
    text: str | None, label: str = "日期", *, kind: str = "schedule", required: bool = False
) -> date | None:
    value, problem = parse_date_text(text or "", label, kind)
    if problem:
        raise ValidationFailed(problem, code="invalid_date")
    if value is None and required:
        raise ValidationFailed(f"请填写{label}。", code="invalid_date")
    return value

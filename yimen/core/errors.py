"""Domain errors. Services raise these; the API and the pages turn them into a clear 4xx with a
Chinese message and a stable code. A bug is the only thing that may become a 500."""

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            data["details"] = self.details
        return data


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"

    def __init__(self, obj_label: str, from_state: str, action: str, message: str | None = None):
        super().__init__(
            message or f"{obj_label}当前状态为「{from_state}」，不能执行「{action}」。",
            from_state=from_state,
            action=action,
        )


class OutsideOpeningHours(DomainError):
    status = 409
    code = "closed"

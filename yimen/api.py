"""The JSON API under /api/ (django-ninja; OpenAPI at /api/openapi.json).

Each app exposes `router` in its own api.py; errors are JSON {"code", "message"} in Chinese.
"""
from importlib import import_module

from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from yimen.core.errors import DomainError

api = NinjaAPI(title="一门 API", version="1.0", description="政务服务中心一体化平台接口（排队、办件、评价……）",
               urls_namespace="api")

for app, prefix, tag in [
    ("catalog", "/", "事项库"),
    ("outlets", "/", "网点"),
    ("staff", "/", "人员"),
    ("queueing", "/", "排队叫号"),
    ("cases", "/", "办件"),
    ("feedback", "/", "评价与反映"),
    ("guide", "/", "导办"),
    ("portal", "/", "一网通办"),
    ("insight", "/", "数据"),
]:
    module = import_module(f"yimen.{app}.api")
    router = getattr(module, "router", None)
    if router is not None:
        api.add_router(prefix, router, tags=[tag])


def _json(request, status, code, message, **extra):
    body = {"code": code, "message": message}
    body.update(extra)
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "path"))
        problems.append(f"{loc or '请求'}：{err.get('msg', '不合法')}")
    return _json(request, 422, "invalid", "请求数据不合法：" + "；".join(problems), errors=exc.errors)


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _json(request, 401, "unauthorized", "需要有效的令牌（Authorization: Bearer <token>）或工作人员登录。")


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    return _json(request, exc.status_code, "error", str(exc))

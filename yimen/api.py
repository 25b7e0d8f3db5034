"""The JSON API under /api/ (django-ninja; OpenAPI at /api/openapi.json).

Each app exposes `router` in its own api.py; errors are JSON {"code", "message"} in Chinese.
"""

from importlib import import_module

from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from yimen.core.errors import DomainError
from yimen.core.http_errors import default_error

api = NinjaAPI(
    title="一门 API",
    version="1.0",
    description="政务服务中心一体化平台接口（排队、办件、评价……）",
    urls_namespace="api",
)

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
    ("outreach", "/", "通知"),
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


# pydantic's error types → Chinese (the rest: "取值不合法")
_PROBLEMS = {
    "missing": "缺少此项",
    "extra_forbidden": "不允许的字段",
    "string_type": "应为字符串",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "string_unicode": "应为合法的文本",
    "int_type": "应为整数",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_type": "应为数字",
    "float_parsing": "应为数字",
    "decimal_parsing": "应为数字",
    "finite_number": "应为有限的数字",
    "greater_than": "太小",
    "greater_than_equal": "太小",
    "less_than": "太大",
    "less_than_equal": "太大",
    "bool_type": "应为 true 或 false",
    "bool_parsing": "应为 true 或 false",
    "date_type": "应为日期（YYYY-MM-DD）",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_inexact": "应为日期（YYYY-MM-DD）",
    "datetime_type": "应为日期时间（ISO 8601）",
    "datetime_parsing": "应为日期时间（ISO 8601）",
    "datetime_from_date_parsing": "应为日期时间（ISO 8601）",
    "datetime_object_invalid": "日期时间不存在",
    "time_type": "应为时间（HH:MM）",
    "time_parsing": "应为时间（HH:MM）",
    "list_type": "应为数组",
    "tuple_type": "应为数组",
    "dict_type": "应为对象",
    "model_type": "应为对象",
    "model_attributes_type": "应为对象",
    "json_invalid": "不是合法的 JSON",
    "json_type": "应为 JSON",
    "enum": "不是可选的取值",
    "literal_error": "不是可选的取值",
    "none_required": "应为空",
    "too_short": "项数太少",
    "too_long": "项数太多",
    "union_tag_invalid": "不是可选的取值",
}


def _problem(err) -> str:
    kind = err.get("type", "")
    if kind == "value_error":  # our own validators (e.g. the date window) speak Chinese
        message = str((err.get("ctx") or {}).get("error", "")) or err.get("msg", "")
        return message.removeprefix("Value error, ")
    return _PROBLEMS.get(kind, "取值不合法")


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    problems, details = [], []
    for err in exc.errors:
        loc = [
            p
            for p in err.get("loc", [])
            if p not in ("body", "payload", "query", "path", "params", "filters")
        ]
        where = ".".join(str(p) for p in loc) or "请求"
        problems.append(f"{where}：{_problem(err)}")
        details.append({"loc": [str(p) for p in err.get("loc", [])], "type": err.get("type", "")})
    # no "input" or English "msg" in the answer: inputs may be ID numbers, messages are English
    return _json(
        request, 422, "invalid", "请求数据不合法：" + "；".join(problems[:10]), errors=details
    )


@api.exception_handler(AuthenticationError)
def auth_error(request, exc):
    return _json(
        request,
        401,
        "unauthorized",
        "需要有效的令牌（Authorization: Bearer <token>）或工作人员登录。",
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    message = str(exc)
    if message.startswith("Cannot parse request body"):  # ninja's parser
        return _json(
            request, 400, "invalid_json", "请求体不是合法的 JSON（应为 UTF-8 编码的 JSON）。"
        )
    code, default = default_error(exc.status_code)
    chinese = any("\u4e00" <= ch <= "\u9fff" for ch in message)
    return _json(request, exc.status_code, code, message if chinese else default)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _json(request, 404, *default_error(404))


@api.exception_handler(Exception)
def unexpected(request, exc):
    """A bug: let Django log it and answer 500 (JSON, core.http_errors) — in DEBUG too, where
    ninja would otherwise answer a plain-text traceback."""
    raise exc

"""The error contract at the HTTP boundary, in one place.

- Under /api/: every error is JSON {"code", "message"} with a Chinese message — domain errors,
  parse errors, unknown routes, 405, 413, CSRF failures and 500 alike, with DEBUG on or off.
- Pages: a Chinese error page in the site's style (templates 400/403/404/500.html).

`error_response` builds either; the handler views below are wired in yimen/urls.py
(handler400/403/404/500) and settings.CSRF_FAILURE_VIEW; `ApiJsonErrorsMiddleware`
(core.middleware) turns whatever else answers an /api/ request with a non-JSON error (Django's
technical pages in DEBUG, ninja's 405) into the same JSON.
"""

from django.http import HttpResponse, JsonResponse
from django.template import loader

API_PREFIX = "/api/"

# status → (code, message): the default for an error that has no more specific one
STATUS_ERRORS = {
    400: ("bad_request", "请求不合法，无法处理。"),
    401: ("unauthorized", "需要有效的令牌（Authorization: Bearer <token>）或工作人员登录。"),
    403: ("forbidden", "无权访问。"),
    404: ("not_found", "找不到该地址对应的页面或接口。"),
    405: ("method_not_allowed", "该地址不支持此请求方法。"),
    406: ("not_acceptable", "无法按请求的格式返回。"),
    409: ("conflict", "与当前状态冲突。"),
    413: ("too_large", "请求内容过大。"),
    415: ("unsupported_media_type", "不支持该请求内容类型。"),
    422: ("invalid", "请求数据不合法。"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试。"),
    500: ("server_error", "服务器内部错误，请稍后再试；如反复出现请联系管理员。"),
    503: ("unavailable", "服务暂时不可用，请稍后再试。"),
}
CSRF_MESSAGE = "安全校验（CSRF）未通过：请刷新页面后重试；接口调用请使用令牌（Authorization: Bearer <token>）。"


def is_api(request) -> bool:
    return (getattr(request, "path_info", None) or getattr(request, "path", "") or "").startswith(
        API_PREFIX
    )


def default_error(status: int) -> tuple[str, str]:
    if status in STATUS_ERRORS:
        return STATUS_ERRORS[status]
    return STATUS_ERRORS[500] if status >= 500 else STATUS_ERRORS[400]


def json_error(
    status: int, code: str | None = None, message: str | None = None, **extra
) -> JsonResponse:
    default_code, default_message = default_error(status)
    body = {"code": code or default_code, "message": message or default_message, **extra}
    return JsonResponse(
        body,
        status=status,
        json_dumps_params={"ensure_ascii": False},
        content_type="application/json; charset=utf-8",
    )


def page_error(
    request, status: int, code: str | None = None, message: str | None = None
) -> HttpResponse:
    """The Chinese error page. Rendered without a database query (a 500 may be the database's)."""
    default_code, default_message = default_error(status)
    template = {400: "400.html", 403: "403.html", 404: "404.html"}.get(
        status, "500.html" if status >= 500 else "400.html"
    )
    context = {
        "code": code or default_code,
        "message": message or default_message,
        "status": status,
    }
    try:
        body = loader.render_to_string(template, context, request=request)
    except Exception:  # noqa: BLE001 — the error page itself must never fail
        body = loader.render_to_string(template, context)
    return HttpResponse(body, status=status, content_type="text/html; charset=utf-8")


def error_response(request, status: int, code: str | None = None, message: str | None = None):
    if is_api(request):
        return json_error(status, code, message)
    return page_error(request, status, code, message)


# --- Django's handlers (yimen/urls.py) ------------------------------------------------------


def bad_request(request, exception=None):
    return error_response(request, 400, *_known(exception))


def permission_denied(request, exception=None):
    return error_response(request, 403)


def page_not_found(request, exception=None):
    return error_response(request, 404)


def server_error(request):
    if is_api(request):
        return json_error(500)
    # no RequestContext: context processors may need the database that just failed
    body = loader.render_to_string(
        "500.html", {"code": "server_error", "message": STATUS_ERRORS[500][1], "status": 500}
    )
    return HttpResponse(body, status=500, content_type="text/html; charset=utf-8")


def csrf_failure(request, reason=""):
    return error_response(request, 403, "csrf_failed", CSRF_MESSAGE)


def _known(exception) -> tuple[str | None, str | None]:
    """A specific code and message for the 400s Django raises itself."""
    from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
    from django.http.multipartparser import MultiPartParserError

    if isinstance(exception, MultiPartParserError):
        return "invalid_multipart", "表单数据（multipart）格式不正确，无法解析。"
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        return "too_many_fields", "提交的字段或文件过多。"
    if isinstance(exception, RequestDataTooBig):
        return "too_large", STATUS_ERRORS[413][1]
    return None, None

"""Middleware of the HTTP boundary.

- ApiJsonErrorsMiddleware (outermost): any error answering an /api/ request that is not JSON
  yet — Django's 404/405/400/500 pages, its DEBUG pages, ninja's 405 — becomes the JSON of the
  error contract (core.http_errors), keeping the response's other headers (Allow, …).
- InputGuardMiddleware (before everything that reads the request): text with a NUL character or
  a lone surrogate — in the path, the query string, headers, form fields, file names or JSON
  bodies — is refused with 400 `invalid_text` before any view or database sees it (PostgreSQL
  cannot store or even compare such text); malformed multipart bodies → 400
  `invalid_multipart`; bodies over DATA_UPLOAD_MAX_MEMORY_SIZE → 413 `too_large`.
- DomainErrorMiddleware: a DomainError raised in a page view becomes a friendly page with the
  right 4xx status (JSON under /api/).
"""

import json

from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from .errors import DomainError
from .http_errors import error_response, is_api, json_error

INVALID_TEXT = "invalid_text"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# headers copied from the response an error replaces (Allow of a 405, WWW-Authenticate, security headers…)
_DROPPED_HEADERS = {"content-type", "content-length", "content-language", "vary"}


def bad_text(value: str) -> bool:
    """True when `value` holds a NUL character or a lone surrogate (not encodable as UTF-8)."""
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _where_label(kind: str, name: str = "") -> str:
    return f"{kind}「{name}」" if name and not bad_text(name) and len(name) <= 40 else kind


def _invalid_text(request, where: str):
    return error_response(
        request,
        400,
        INVALID_TEXT,
        f"{where}含有不允许的字符（空字符 NUL 或不成对的代理字符），请删除后重试。",
    )


def _first_bad_in_json(data) -> str | None:
    """The key path of the first string (key or value) in parsed JSON with bad text, or None."""
    stack = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if bad_text(value):
                return path or "请求体"
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and bad_text(key):
                    return path or "请求体"
                stack.append((item, f"{path}.{key}" if path else str(key)))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{i}]") for i, item in enumerate(value))
    return None


class InputGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refusal = self.check(request)
        if refusal is not None:
            return refusal
        return self.get_response(request)

    def check(self, request):
        if bad_text(request.path_info):
            return _invalid_text(request, "地址路径")
        for key, values in request.GET.lists():
            if bad_text(key) or any(bad_text(v) for v in values):
                return _invalid_text(request, _where_label("查询参数", key))
        for key, value in request.META.items():
            if key.startswith("HTTP_") and isinstance(value, str) and bad_text(value):
                return _invalid_text(
                    request, _where_label("请求头", key[5:].replace("_", "-").title())
                )
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        try:
            return self._check_body(request)
        except RequestDataTooBig:
            request._mark_post_parse_error()
            return error_response(
                request, 413, "too_large", "请求内容过大（超过服务器允许的大小）。"
            )
        except (TooManyFieldsSent, TooManyFilesSent):
            request._mark_post_parse_error()
            return error_response(request, 400, "too_many_fields", "提交的字段或文件过多。")
        except MultiPartParserError:
            return error_response(
                request, 400, "invalid_multipart", "表单数据（multipart）格式不正确，无法解析。"
            )
        except BadRequest:
            request._mark_post_parse_error()
            return error_response(request, 400, "bad_request", "表单数据的编码应为 UTF-8。")

    def _check_body(self, request):
        content_type = request.content_type or ""
        api = is_api(request)
        if content_type in FORM_TYPES:
            if api and content_type == "multipart/form-data":
                request.body  # noqa: B018 — keep the raw body readable for the API's parser
            if request.method != "POST":
                return None
            for key, values in request.POST.lists():
                if bad_text(key) or any(bad_text(v) for v in values):
                    return _invalid_text(request, _where_label("表单字段", key))
            for key, files in request.FILES.lists():
                if bad_text(key) or any(bad_text(f.name or "") for f in files):
                    return _invalid_text(request, _where_label("上传文件", key))
            return None
        if not (api or content_type == "application/json" or content_type.endswith("+json")):
            return None  # pages read forms only
        body = request.body  # the API parses any other body as JSON
        if not body:
            return None
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None  # not JSON: the parser answers 400 invalid_json
        where = _first_bad_in_json(data)
        if where is not None:
            return _invalid_text(request, _where_label("请求体字段", where))
        return None


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api(request)
            or getattr(response, "streaming", False)
        ):
            return response
        if (response.get("Content-Type") or "").startswith("application/json"):
            return response
        replacement = json_error(response.status_code)
        for name, value in response.items():
            if name.lower() not in _DROPPED_HEADERS:
                replacement[name] = value
        replacement.cookies = response.cookies
        return replacement


class DomainErrorMiddleware:
    """A DomainError raised in a page view becomes a friendly page with the right 4xx status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            if is_api(request):
                from django.http import JsonResponse

                return JsonResponse(
                    exception.as_dict(),
                    status=exception.status,
                    json_dumps_params={"ensure_ascii": False},
                )
            return render(request, "core/error.html", {"error": exception}, status=exception.status)
        return None

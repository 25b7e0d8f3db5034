"""Security headers and the proxy's word on HTTPS.

- `TrustedProxyMiddleware` (first in the chain): a request counts as HTTPS when it came over TLS
  or when a proxy listed in YIMEN_TRUSTED_PROXIES says so in `X-Forwarded-Proto`
  (core/clientaddr.py); the same header from anyone else is ignored.
- `ContentSecurityPolicyMiddleware`: a Content-Security-Policy on every response. Scripts come
  from this site only; an inline <script> runs only with the request's nonce
  (`<script nonce="{{ request.csp_nonce }}">`); no inline event handlers (`onclick=`…: use
  `data-print`, `data-autosubmit`, `data-back`, handled by static/core/ui.js). Styles may be
  inline (style attributes are everywhere in the templates and cannot carry a nonce).
"""

import secrets

from django.conf import settings

from .clientaddr import is_secure_via_proxy

PROTO_META = (
    "HTTP_X_YIMEN_FORWARDED_PROTO"  # set here only; settings.SECURE_PROXY_SSL_HEADER reads it
)


class TrustedProxyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop(PROTO_META, None)  # a client sending this header itself gets nothing
        if is_secure_via_proxy(request):
            request.META[PROTO_META] = "https"
        return self.get_response(request)


def policy(nonce: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' data: blob:",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'self'",
        ]
    )


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if getattr(settings, "YIMEN_CSP", True) and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy(request.csp_nonce)
        return response

"""The province's 统一身份认证 by OpenID Connect (authorization code + PKCE), with Authlib.

Configured by settings.YIMEN["ONLINE_OIDC"] (env YIMEN_OIDC_*; docs/online.md): issuer,
client id/secret, endpoints, and the claims that carry the ID number (or USCC) and the phone. The
ID token is verified (signature against the IdP's JWKS, iss, aud, exp, nonce) before anyone is
signed in; the identity is the same owner key as the SMS sign-in. `idp_sim.py` is a local
identity-provider simulator for development and tests.
"""

from __future__ import annotations

import secrets

import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.jose import JsonWebKey, jwt
from authlib.jose.errors import JoseError
from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

from yimen.core import audit
from yimen.core.errors import Forbidden, NotFound

from . import identity as ident, rules

STATE_KEY = "yimen_online_oidc"
TIMEOUT = 10  # seconds for the token and JWKS requests


def conf() -> dict:
    return dict(settings.YIMEN.get("ONLINE_OIDC") or {})


def configured() -> bool:
    c = conf()
    return bool(c.get("issuer") and c.get("client_id"))


def _session(c: dict, redirect_uri: str) -> OAuth2Session:
    return OAuth2Session(
        client_id=c["client_id"],
        client_secret=c.get("client_secret", ""),
        scope="openid profile phone",
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_post",
    )


def start(request):
    """Redirect to the IdP's authorization endpoint (state, nonce and PKCE kept in the session)."""
    if not configured():
        raise NotFound("未配置统一身份认证。")
    c = conf()
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    callback = request.build_absolute_uri(reverse("online:oidc_callback"))
    url, state = _session(c, callback).create_authorization_url(
        c["authorize_url"], code_verifier=verifier, nonce=nonce
    )
    nxt = request.GET.get("next", "")
    request.session[STATE_KEY] = {
        "state": state,
        "nonce": nonce,
        "verifier": verifier,
        "next": rules.safe_next(nxt),
        "kind": "company" if request.GET.get("kind") == "company" else "person",
    }
    return redirect(url)


def callback(request):
    """The IdP sends the person back with a code: exchange it, verify the ID token, sign in."""
    pending = request.session.pop(STATE_KEY, None)
    if not configured() or not isinstance(pending, dict):
        raise Forbidden("登录已过期，请重新登录。", code="oidc_no_state")
    if request.GET.get("error"):
        raise Forbidden("统一身份认证未通过，请重试或使用短信验证码登录。", code="oidc_denied")
    if not secrets.compare_digest(request.GET.get("state", ""), pending["state"]):
        raise Forbidden("登录状态不匹配，请重新登录。", code="oidc_bad_state")
    c = conf()
    callback_url = request.build_absolute_uri(reverse("online:oidc_callback"))
    try:
        token = _session(c, callback_url).fetch_token(
            c["token_url"],
            code=request.GET.get("code", ""),
            code_verifier=pending["verifier"],
            timeout=TIMEOUT,
        )
        claims = verify_id_token(token.get("id_token", ""), nonce=pending["nonce"])
    except (JoseError, requests.RequestException, KeyError, ValueError) as exc:
        audit.record("public", "online.oidc_failed", None, after={"error": type(exc).__name__})
        raise Forbidden("统一身份认证失败，请重试或使用短信验证码登录。", code="oidc_failed")
    id_number = str(claims.get(c.get("id_claim", "id_number"), ""))
    phone = str(claims.get(c.get("phone_claim", "phone_number"), ""))
    if not id_number or not phone:
        raise Forbidden("统一身份认证未提供证件号码或手机号码。", code="oidc_claims")
    who = ident.identity_from_claims(
        id_number, phone, pending["kind"], "oidc", name=str(claims.get("name", ""))[:50]
    )
    ident.sign_in(request, who)
    audit.record("public", "online.oidc_sign_in", None, after={"sub": str(claims.get("sub"))[:8]})
    return redirect(pending["next"] or "online:home")


def verify_id_token(id_token: str, *, nonce: str) -> dict:
    """The ID token's claims after checking signature (JWKS), issuer, audience, expiry, nonce."""
    c = conf()
    keys = requests.get(c["jwks_url"], timeout=TIMEOUT)
    keys.raise_for_status()
    claims = jwt.decode(
        id_token,
        JsonWebKey.import_key_set(keys.json()),
        claims_options={
            "iss": {"essential": True, "value": c["issuer"]},
            "aud": {"essential": True, "value": c["client_id"]},
            "exp": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        },
    )
    claims.validate(leeway=60)
    return dict(claims)

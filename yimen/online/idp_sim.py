"""SIMULATOR — a local OpenID Connect identity provider standing in for the province's 统一身份认证
in development and tests. Not for production.

It speaks the real protocol (discovery, authorization code with PKCE S256, token endpoint with
client_secret_post, RS256 ID tokens signed with Authlib, JWKS), and signs in whichever test
person it was started with, without asking (or refuses with `deny=True`).

    python -m yimen.online.idp_sim --port 9100 --id-number 630104198806010000 --phone 13800138000
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

from authlib.jose import JsonWebKey, jwt


class IdpSimulator:
    def __init__(
        self,
        *,
        client_id="yimen",
        client_secret="sim-secret",
        person: dict | None = None,
        deny=False,
        port=0,
    ):
        self.client_id, self.client_secret, self.deny = client_id, client_secret, deny
        self.person = person or {}
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "sim-1"})
        self.codes: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread: threading.Thread | None = None

    # -- settings a relying party needs
    def settings(self) -> dict:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "authorize_url": f"{self.issuer}/authorize",
            "token_url": f"{self.issuer}/token",
            "jwks_url": f"{self.issuer}/jwks",
            "id_claim": "id_number",
            "phone_claim": "phone_number",
        }

    def start(self):
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def _id_token(self, nonce: str) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": hashlib.sha256(self.person.get("id_number", "").encode()).hexdigest()[:24],
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": self.person.get("name", ""),
            "id_number": self.person.get("id_number", ""),
            "phone_number": self.person.get("phone", ""),
        }
        return jwt.encode({"alg": "RS256", "kid": "sim-1"}, claims, self.key).decode()

    def _handler(self):
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                return

            def _json(self, status, body):
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                url = urlparse(self.path)
                q = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path == "/.well-known/openid-configuration":
                    return self._json(200, {**sim.settings(), "response_types_supported": ["code"]})
                if url.path == "/jwks":
                    return self._json(200, {"keys": [sim.key.as_dict(is_private=False)]})
                if url.path == "/authorize":
                    if q.get("client_id") != sim.client_id or q.get("response_type") != "code":
                        return self._json(400, {"error": "invalid_request"})
                    if sim.deny:
                        params = {"error": "access_denied", "state": q.get("state", "")}
                    else:
                        code = secrets.token_urlsafe(16)
                        sim.codes[code] = {
                            "challenge": q.get("code_challenge", ""),
                            "nonce": q.get("nonce", ""),
                            "redirect_uri": q.get("redirect_uri", ""),
                        }
                        params = {"code": code, "state": q.get("state", "")}
                    self.send_response(302)
                    self.send_header("Location", f"{q.get('redirect_uri')}?{urlencode(params)}")
                    self.end_headers()
                    return None
                return self._json(404, {"error": "not_found"})

            def do_POST(self):
                if urlparse(self.path).path != "/token":
                    return self._json(404, {"error": "not_found"})
                length = int(self.headers.get("Content-Length", "0"))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if (form.get("client_id"), form.get("client_secret")) != (
                    sim.client_id,
                    sim.client_secret,
                ):
                    return self._json(401, {"error": "invalid_client"})
                grant = sim.codes.pop(form.get("code", ""), None)
                if grant is None or form.get("redirect_uri") != grant["redirect_uri"]:
                    return self._json(400, {"error": "invalid_grant"})
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                if challenge != grant["challenge"]:
                    return self._json(400, {"error": "invalid_grant", "error_description": "pkce"})
                return self._json(
                    200,
                    {
                        "access_token": secrets.token_urlsafe(16),
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": sim._id_token(grant["nonce"]),
                    },
                )

        return Handler


def main(argv=None):
    import argparse

    p = argparse.ArgumentParser(description="SIMULATOR: local OIDC identity provider")
    p.add_argument("--port", type=int, default=9100)
    p.add_argument("--id-number", required=True)
    p.add_argument("--phone", required=True)
    p.add_argument("--name", default="测试用户")
    a = p.parse_args(argv)
    sim = IdpSimulator(
        person={"id_number": a.id_number, "phone": a.phone, "name": a.name}, port=a.port
    )
    print(json.dumps(sim.settings(), ensure_ascii=False))
    sim.server.serve_forever()


if __name__ == "__main__":
    main()

"""Helpers for the insight browser tests."""

from django.conf import settings
from django.test import Client


def login(page, live_server, user):
    """Sign `user` in for the browser page (a real Django session cookie)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )

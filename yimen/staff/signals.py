"""Cached API token lookups (tokens.authenticate_token, core.changes "auth") depend on tokens,
staff and users: saving or deleting any of them — services and the admin alike — drops the
lookups in every process."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save

from yimen.core import changes

from .models import ApiToken, Staff


def _auth_changed(**kwargs):
    changes.bump("auth")


def connect():
    for model in (ApiToken, Staff, get_user_model()):
        post_save.connect(
            _auth_changed, sender=model, dispatch_uid=f"yimen-auth-save-{model.__name__}"
        )
        post_delete.connect(
            _auth_changed, sender=model, dispatch_uid=f"yimen-auth-delete-{model.__name__}"
        )

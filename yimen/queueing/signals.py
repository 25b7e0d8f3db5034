"""What the queue's per-process caches depend on (core.changes): configuration of the network and
the window sessions of a hall. Signals cover the admin and every `save()`; services that write in
bulk (`QuerySet.update`, `bulk_create`) bump the topic themselves."""

from django.db.models.signals import m2m_changed, post_delete, post_save

from yimen.catalog.models import Department, ServiceItem
from yimen.core import changes
from yimen.outlets.models import OpeningException, Outlet, Window
from yimen.staff.models import WindowSession

from .models import Queue


def _config_changed(**kwargs):
    changes.bump("config")


def _session_changed(instance, **kwargs):
    outlet_id = (
        Window.objects.filter(pk=instance.window_id).values_list("outlet_id", flat=True).first()
    )
    if outlet_id is not None:
        changes.bump(changes.sessions(outlet_id))


def connect():
    # Department: its name is in the guide's triage index (guide.selectors), also on "config"
    for model in (Outlet, Window, Queue, ServiceItem, OpeningException, Department):
        post_save.connect(
            _config_changed, sender=model, dispatch_uid=f"yimen-config-save-{model.__name__}"
        )
        post_delete.connect(
            _config_changed, sender=model, dispatch_uid=f"yimen-config-delete-{model.__name__}"
        )
    for through in (Window.items.through, Outlet.items.through):
        m2m_changed.connect(
            _config_changed, sender=through, dispatch_uid=f"yimen-config-m2m-{through.__name__}"
        )
    post_save.connect(
        _session_changed, sender=WindowSession, dispatch_uid="yimen-hall-session-save"
    )
    post_delete.connect(
        _session_changed, sender=WindowSession, dispatch_uid="yimen-hall-session-delete"
    )

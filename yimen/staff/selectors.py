from .models import WindowSession


def current_session(window):
    """The open session at a window, or None (window closed)."""
    return WindowSession.objects.select_related("staff").filter(window=window, ended_at__isnull=True).first()


def session_of(staff):
    return WindowSession.objects.select_related("window").filter(staff=staff, ended_at__isnull=True).first()


def window_state(window) -> str:
    """'serving' / 'paused' / 'closed' — what the queue sees."""
    session = current_session(window)
    return session.state if session else "closed"

from django.utils.functional import SimpleLazyObject


def bell(request):
    """`bell` in every page: the signed-in member of staff's unread notices (counted only when
    a template shows it)."""

    def compute():
        user = getattr(request, "user", None)
        staff = getattr(user, "staff", None) if user is not None and user.is_authenticated else None
        if staff is None:
            return None
        from .notices import counts

        return counts(staff)

    return {"bell": SimpleLazyObject(compute)}

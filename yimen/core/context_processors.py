from django.conf import settings


def yimen(request):
    return {
        "elderly_mode": request.COOKIES.get("elderly") == "1",
        "demo_mode": settings.DEBUG,
    }

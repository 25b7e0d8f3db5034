from django.shortcuts import render

from .errors import DomainError


class DomainErrorMiddleware:
    """A DomainError raised in a page view becomes a friendly page with the right 4xx status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                return JsonResponse(exception.as_dict(), status=exception.status,
                                    json_dumps_params={"ensure_ascii": False})
            return render(request, "core/error.html", {"error": exception}, status=exception.status)
        return None

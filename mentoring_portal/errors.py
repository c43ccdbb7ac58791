"""The portal's own error pages while DEBUG is on, as `make run` serves the demo (docs/architecture.md §5).

With DEBUG off Django renders templates/404.html, 400.html and 500.html itself. With DEBUG on it
answers a 404, a 400 and a 500 with its English technical page (a 403 is ours either way), which an
official trying the demo must not see. ``PortalErrorPagesMiddleware`` swaps such a page for the
portal's one, keeping the status and the headers the inner middlewares set (request id, CSP);
Django has already logged the error with its traceback. ``TECHNICAL_ERROR_PAGES=1`` in the
environment keeps Django's pages, for a developer who wants the traceback on the page.
"""

from django.conf import settings
from django.http import Http404
from django.views import defaults

# Django's technical 404 and 500 pages (the 500 one also answers a 400 in DEBUG) both say this.
TECHNICAL_MARK = b"<code>DEBUG = True</code>"
PAGES = {
    400: lambda request: defaults.bad_request(request, None),
    404: lambda request: defaults.page_not_found(request, Http404()),
    500: defaults.server_error,
}


class PortalErrorPagesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            response.status_code in PAGES
            and settings.DEBUG
            and not settings.TECHNICAL_ERROR_PAGES
            and not response.streaming
            and TECHNICAL_MARK in response.content
        ):
            technical = response
            response = PAGES[technical.status_code](request)
            for header, value in technical.items():
                if header.lower() not in ("content-type", "content-length"):
                    response[header] = value
        return response

"""The pair's signed agreement: its scan uploaded from the pair's card, and given back to readers.

Access: the pair is looked up in the user's scope first (a stranger's 404), then the upload asks
``access.require_write`` (a read-only role's 403). The scan is never under a public URL: each download
passes the pair's scope check. Writes go through ``registry.agreements``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import path

from common.downloads import shorten_file_name
from common.uploads import DiskFull
from registry import access, agreements
from registry.forms.agreements import AgreementUploadForm
from registry.models import Mentorship
from registry.views.mentorships import back_to_card, scoped_pair


@login_required
def agreement_upload(request, pk):
    """«Загрузить подписанное соглашение»: the card posts here; a refused upload shows its reason."""
    pair = scoped_pair(request.user, pk)
    access.require_write(request.user, pair)
    form = AgreementUploadForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            agreements.mentorship_agreement_upload(
                mentorship=pair, file=form.cleaned_data["file"], signed_on=form.cleaned_data["signed_on"]
            )
        except ValidationError as error:
            form.add_service_error(error)
        except DiskFull as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request, f"Подписанное соглашение загружено, дата соглашения {pair.agreement_date:%d.%m.%Y}."
            )
            return back_to_card(pair, "agreement")
    return render(
        request,
        "registry/mentorships/agreement_upload.html",
        {"form": form, "pair": pair},
    )


@login_required
def agreement_file(request, pk):
    pair = access.get_scoped_or_404(request.user, Mentorship.objects.exclude(agreement_file=""), pk=pk)
    try:
        handle = pair.agreement_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("Файл не найден") from exc
    ext = pair.agreement_file.name.rsplit(".", 1)[-1].lower()
    day = f" {pair.agreement_date:%d.%m.%Y}" if pair.agreement_date else ""
    name = f"Соглашение о наставничестве{day}.{ext}"
    response = FileResponse(handle, as_attachment=True, filename=shorten_file_name(name))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


urlpatterns = [
    path("pairs/<uuid:pk>/agreement/", agreement_upload, name="mentorship-agreement-upload"),
    path("pairs/<uuid:pk>/agreement/file/", agreement_file, name="mentorship-agreement-file"),
]

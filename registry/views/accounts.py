"""Mentors' own accounts: the curator's «Пригласить в портал» on a mentor's card, and the one-time
link from the e-mail where the mentor sets a password (``registry.accounts``).

Access: the person is looked up in the curator's scope (a stranger's 404), then the write rule
«invite» (the curator of the person's school only: 403 to others). The link's page is public: the
link is its only key, an unknown, used or expired one answers 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from registry import access, accounts
from registry.models import Person


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="Адрес электронной почты наставника",
        required=False,
        help_text="По умолчанию — из карточки участника; на него придёт ссылка для входа.",
    )


@login_required
def person_invite(request, pk):
    """«Пригласить в портал»: an adult mentor of the curator's own school."""
    person = access.get_writable_or_404(
        request.user, Person.objects.select_related("organization"), access.INVITE, pk=pk
    )
    refusal = accounts.invite_refusal(person=person)
    form = InviteForm(request.POST if request.method == "POST" else None, initial={"email": person.email})
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            accounts.mentor_invite(
                person=person,
                email=form.cleaned_data["email"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Приглашение отправлено: наставник задаст пароль по ссылке из письма.")
            return redirect("registry:person-detail", person.pk)
    context = {"person": person, "form": form, "refusal": refusal}
    return render(request, "registry/accounts/invite.html", context)


@sensitive_post_parameters()
@never_cache
def invitation(request, uidb64, token):
    """The link from the invitation: set a password, the account opens; the link works once."""
    user = accounts.invitation_user(uidb64=uidb64, token=token)
    if user is None:
        raise Http404("Ссылка недействительна")
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        accounts.invitation_accept(user=user, password=form.cleaned_data["new_password1"])
        messages.success(request, "Пароль задан. Войдите с адресом электронной почты и новым паролем.")
        return redirect(reverse("login"))
    response = render(request, "registry/accounts/invitation.html", {"form": form, "invited": user})
    response["Referrer-Policy"] = "no-referrer"
    return response


urlpatterns = [
    path("people/<uuid:pk>/invite/", person_invite, name="person-invite"),
    path("invitation/<str:uidb64>/<str:token>/", invitation, name="mentor-invitation"),
]

"""The pair's meetings, recorded and changed from the pair's card (docs/domain.md §4.2).

Access: the pair is looked up in the user's scope first (a stranger's 404), then
``access.require_write`` (a read-only role's 403). Writes go through ``registry.meetings``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.urls import path

from registry import access, meetings
from registry.forms.meetings import MeetingForm
from registry.models import Meeting
from registry.views.mentorships import back_to_card, scoped_pair, section_form


@login_required
def meeting_add(request, pk):
    """«Записать встречу»."""
    pair = scoped_pair(request.user, pk)
    access.require_write(request.user, Meeting(mentorship=pair))
    if not meetings.accepts_meetings(mentorship=pair):
        messages.error(request, meetings.DRAFT_PAIR)
        return back_to_card(pair, "meetings")
    form = MeetingForm(request.POST if request.method == "POST" else None, mentorship=pair)
    if request.method == "POST" and form.is_valid():
        try:
            meetings.meeting_record(mentorship=pair, created_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Встреча записана.")
            return back_to_card(pair, "meetings")
    return section_form(request, pair, form, section="meetings", title="Запись встречи")


@login_required
def meeting_edit(request, pk, meeting):
    """«Изменить» a meeting."""
    pair = scoped_pair(request.user, pk)
    record = access.get_scoped_or_404(
        request.user, Meeting.objects.select_related("mentorship"), pk=meeting, mentorship=pair
    )
    record.mentorship = pair
    access.require_write(request.user, record)
    form = MeetingForm(request.POST if request.method == "POST" else None, mentorship=pair, meeting=record)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, "Изменений нет.")
            return back_to_card(pair, "meetings")
        try:
            meetings.meeting_update(meeting=record, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Встреча сохранена.")
            return back_to_card(pair, "meetings")
    return section_form(request, pair, form, section="meetings", title="Изменение встречи")


urlpatterns = [
    path("pairs/<uuid:pk>/meetings/new/", meeting_add, name="mentorship-meeting-add"),
    path("pairs/<uuid:pk>/meetings/<int:meeting>/", meeting_edit, name="mentorship-meeting-edit"),
]

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse("")


organisation_list = organisation_create = organisation_detail = organisation_edit = _todo
person_list = person_create = person_detail = person_edit = _todo
post_list = post_create = post_detail = post_edit = appointment_create = post_handover = _todo
handover_note_create = appointment_edit = appointment_end = as_at = changes = _todo  # noqa: E501

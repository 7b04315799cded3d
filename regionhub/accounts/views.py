from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from regionhub.core.permissions import is_regional_admin

from . import selectors, services
from .forms import SignInForm, UserForm
from .models import User


class SignInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


# Accounts, as regional admins manage them --------------------------------------------------------

PAGE_SIZE = 50


def _admin_only(request) -> None:
    if not is_regional_admin(request.user):
        raise Http404


@login_required
def user_list(request):
    _admin_only(request)
    query = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    if role not in User.Role.values:
        role = ""
    page = Paginator(selectors.user_search(query, role), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "accounts/user_list.html",
        {"nav": "users", "page": page, "q": query, "role": role, "roles": User.Role.choices},
    )


def _user_form_view(request, *, user: User | None):
    initial = None
    if user is not None:
        initial = {
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "organisation": user.organisation_id,
            "coordinated_authorities": list(user.coordinated_authorities.all()),
        }
    form = UserForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if user is None:
                saved = services.user_invite(actor=request.user, data=form.cleaned_data)
                messages.success(request, f"Invitation sent to {saved.email}.")
            else:
                saved = services.user_update(actor=request.user, user=user, data=form.cleaned_data)
                messages.success(request, "Account saved.")
        except services.AccountError as error:
            form.add_error(error.field, error.message)
        else:
            return redirect("accounts:user-list")
    return render(
        request,
        "core/form.html",
        {
            "nav": "users",
            "form": form,
            "title": "Invite someone" if user is None else f"Edit {user.name or user.email}",
            "caption": "Accounts",
            "intro": "They get an email with a link to choose their password."
            if user is None
            else None,
            "submit": "Send invitation" if user is None else "Save",
            "back_url": reverse("accounts:user-list"),
        },
    )


@login_required
def user_invite(request):
    _admin_only(request)
    return _user_form_view(request, user=None)


@login_required
def user_edit(request, pk: int):
    _admin_only(request)
    return _user_form_view(request, user=get_object_or_404(User, pk=pk))


@login_required
@require_POST
def user_set_active(request, pk: int):
    _admin_only(request)
    user = get_object_or_404(User, pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=user, active=active)
    except services.AccountError as error:
        messages.error(request, error.message)
    else:
        name = user.name or user.email
        messages.success(
            request, f"{name} can sign in again." if active else f"{name} can no longer sign in."
        )
    return redirect("accounts:user-list")

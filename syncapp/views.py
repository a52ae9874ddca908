from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from destinations.models import Destination
from models_catalog.models import Model, Source
from syncapp.forms import MemberAddForm, MemberRoleForm, ProfileForm
from syncapp.models import Membership, Role
from syncapp.services import membership_add, membership_remove, membership_set_role
from syncapp.tenancy import get_object_in_workspace, workspace_view
from syncs.models import Sync
from syncs.selectors import sync_status_counts


def home(request: HttpRequest) -> HttpResponse:
    """Send the user to their first workspace; there is no "last used workspace" fallback."""
    membership = (
        Membership.objects.filter(user=request.user)
        .select_related("workspace")
        .order_by("workspace__name")
        .first()
    )
    if membership is None:
        return render(request, "syncapp/no_workspace.html")
    return redirect("workspace_home", workspace_slug=membership.workspace.slug)


def next_url(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}):
        return candidate
    return default


def confirm(
    request: HttpRequest, *, title: str, explanation: str, button: str, back: str, danger: bool = False
) -> HttpResponse:
    """The confirmation of a POST-only action: a dialog for htmx, a page otherwise."""
    context = {
        "title": title,
        "explanation": explanation,
        "button": button,
        "danger": danger,
        "action_url": request.path,
        "next": next_url(request, ""),
        "cancel_url": next_url(request, back),
    }
    template = "syncapp/confirm_modal.html#dialog" if request.htmx else "syncapp/confirm_modal.html"
    return render(request, template, context)


def form_page(request: HttpRequest, *, title: str, form, button: str, cancel_url: str) -> HttpResponse:
    """A page holding one small form (a role, a folder, labels...), with its button and a way back."""
    context = {"title": title, "form": form, "button": button, "cancel_url": cancel_url}
    return render(request, "syncapp/form_page.html", context)


RECENT_SYNCS = 10


@workspace_view()
def workspace_home(request: HttpRequest) -> HttpResponse:
    """The workspace at a glance: its syncs by status, the latest syncs, and what they are built from."""
    workspace = request.workspace
    syncs = Sync.objects.in_workspace(workspace)
    context = {
        "status_counts": sync_status_counts(syncs),
        "recent_syncs": syncs.select_related("model", "destination", "created_by").order_by("-created_at")[
            :RECENT_SYNCS
        ],
        "models": Model.objects.in_workspace(workspace).select_related("source", "created_by"),
        "sources": Source.objects.in_workspace(workspace),
        "destinations": Destination.objects.in_workspace(workspace),
    }
    return render(request, "syncapp/workspace_home.html", context)


def profile(request: HttpRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile is saved.")
        return redirect("profile")
    return render(request, "syncapp/profile.html", {"form": form})


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


# ---------------------------------------------------------------------------------------- people


def _admin_only(request: HttpRequest) -> None:
    if not request.membership.is_admin:
        raise PermissionDenied("Only the workspace's admins manage its members.")


@workspace_view()
def people(request: HttpRequest) -> HttpResponse:
    """The members and their roles; admins add people here."""
    form = MemberAddForm(request.POST or None)
    if request.method == "POST":
        _admin_only(request)
        if form.is_valid():
            try:
                membership = membership_add(
                    workspace=request.workspace,
                    user=form.cleaned_data["username"],
                    role=form.cleaned_data["role"],
                )
            except ValidationError as exc:
                form.add_error("username", exc.message_dict["username"])
            else:
                messages.success(request, f"{membership.user.get_username()} is now a member.")
                return redirect("people", request.workspace.slug)
    members = (
        Membership.objects.in_workspace(request.workspace).select_related("user").order_by("user__username")
    )
    return render(
        request, "syncapp/people.html", {"members": members, "form": form, "roles": ROLE_DESCRIPTIONS}
    )


ROLE_DESCRIPTIONS = {
    Role.ADMIN: "Manages the members, and creates, edits and runs everything.",
    Role.EDITOR: "Creates, edits and runs sources, models, destinations and syncs.",
    Role.VIEWER: "Sees everything, changes nothing.",
}


@workspace_view(write=True)
def membership_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    _admin_only(request)
    membership = get_object_in_workspace(
        Membership.objects.select_related("user"), request.workspace, pk=membership_id
    )
    form = MemberRoleForm(request.POST or None, initial={"role": membership.role})
    if request.method == "POST" and form.is_valid():
        try:
            membership_set_role(membership=membership, role=form.cleaned_data["role"])
        except ValidationError as exc:
            form.add_error("role", exc.messages)
        else:
            messages.success(
                request, f"{membership.user.get_username()} is now {membership.get_role_display()}."
            )
            return redirect("people", request.workspace.slug)
    title = f"Role of {membership.user.get_username()}"
    return form_page(
        request,
        title=title,
        form=form,
        button="Save the role",
        cancel_url=reverse("people", args=[request.workspace.slug]),
    )


@workspace_view(write=True)
def membership_remove_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    _admin_only(request)
    membership = get_object_in_workspace(
        Membership.objects.select_related("user"), request.workspace, pk=membership_id
    )
    name = membership.user.get_username()
    if request.method != "POST":
        return confirm(
            request,
            title=f"Remove {name} from {request.workspace.name}?",
            explanation=f"{name} will no longer see this workspace. Their account stays.",
            button="Remove",
            back=reverse("people", args=[request.workspace.slug]),
            danger=True,
        )
    try:
        membership_remove(membership=membership)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{name} is no longer a member.")
    return redirect("people", request.workspace.slug)

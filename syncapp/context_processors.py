from django.http import HttpRequest

from syncapp.models import Membership


def workspaces(request: HttpRequest) -> dict:
    """The signed-in user's workspaces, for the workspace switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def memberships():
        return list(
            Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name")
        )

    return {"user_memberships": memberships}

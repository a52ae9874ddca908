import zoneinfo

from django import forms
from django.db import models

from syncapp.models import Role, User


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices, help_text="Dates and times are shown in this timezone."
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "timezone"]


class MemberAddForm(forms.Form):
    """Add a person who already has an account (accounts are made by the installation's operators)."""

    username = forms.CharField(label="Username or email")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.EDITOR)

    def clean_username(self) -> User:
        value = self.cleaned_data["username"].strip()
        user = User.objects.filter(is_active=True).filter(
            models.Q(username__iexact=value) | models.Q(email__iexact=value)
        )
        found = list(user[:2])
        if len(found) != 1:
            raise forms.ValidationError(
                f"No single account has the username or email {value!r}: ask an operator to create it."
            )
        return found[0]


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices, widget=forms.RadioSelect)

import zoneinfo

from django import forms

from syncapp.models import User


def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class ProfileForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        choices=timezone_choices, help_text="Dates and times are shown in this timezone."
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "timezone"]

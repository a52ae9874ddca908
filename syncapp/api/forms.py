from django import forms

from syncapp.api.models import ApiKey


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["name"]
        help_texts = {"name": "What uses this key, e.g. “Airflow production”."}

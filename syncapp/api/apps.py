from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "syncapp.api"
    label = "api"
    verbose_name = "REST API"

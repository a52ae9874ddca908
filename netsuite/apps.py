from django.apps import AppConfig


class NetSuiteConfig(AppConfig):
    name = "netsuite"
    verbose_name = "NetSuite"

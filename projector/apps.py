from django.apps import AppConfig


class ProjectorConfig(AppConfig):
    name = "projector"
    verbose_name = "Wall"

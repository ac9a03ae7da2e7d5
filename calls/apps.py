from django.apps import AppConfig


class CallsConfig(AppConfig):
    name = "calls"

    def ready(self) -> None:
        # What registers itself with another library, done here once, when Django starts,
        # rather than whenever a module happens to be imported first.
        from prometheus_client import REGISTRY

        from calls import metrics
        from calls.api import schema

        REGISTRY.register(metrics.DATABASE)
        schema.register_token_scheme()

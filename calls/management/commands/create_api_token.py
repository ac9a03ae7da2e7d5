from django.core.management.base import BaseCommand, CommandError

from calls.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for ingest and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who or what the token is for, e.g. fn-prod-agent")

    def handle(self, *args, **options):
        if ApiToken.objects.filter(name=options["name"]).exists():
            raise CommandError(f"A token named {options['name']!r} exists already.")
        self.stdout.write(ApiToken.issue(options["name"]))

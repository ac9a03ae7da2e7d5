from django.core.management.base import BaseCommand, CommandError

from calls.models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for ingest and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="who or what the token is for, e.g. fn-prod-agent")

    def handle(self, *args, **options):
        name = options["name"]
        longest = ApiToken._meta.get_field("name").max_length
        if len(name) > longest:
            raise CommandError(f"A token's name is at most {longest} characters.")
        if ApiToken.objects.filter(name=name).exists():
            raise CommandError(f"A token named {name!r} exists already.")
        self.stdout.write(ApiToken.issue(name))

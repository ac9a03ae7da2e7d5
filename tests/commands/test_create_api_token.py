"""manage.py create_api_token NAME: prints a new key once, refuses names it cannot store."""

import pytest
from django.core.management import CommandError, call_command

from calls.models import ApiToken

pytestmark = pytest.mark.django_db


def test_it_prints_a_key_that_authenticates(capsys):
    call_command("create_api_token", "fn-agent")
    key = capsys.readouterr().out.strip()
    assert ApiToken.objects.get(name="fn-agent").digest == ApiToken.digest_of(key)


def test_it_refuses_a_name_taken_already():
    call_command("create_api_token", "fn-agent")
    with pytest.raises(CommandError, match="exists already"):
        call_command("create_api_token", "fn-agent")


def test_it_refuses_a_name_longer_than_the_column():
    call_command("create_api_token", "n" * 100)
    with pytest.raises(CommandError, match="at most 100 characters"):
        call_command("create_api_token", "n" * 101)
    assert ApiToken.objects.count() == 1

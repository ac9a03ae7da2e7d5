"""Every dashboard page works under a Content Security Policy without 'unsafe-inline':
no inline script code, no inline event handlers, no style attributes."""

import re

import pytest
from django.core.management import call_command

from calls.models import Call

pytestmark = pytest.mark.django_db


def test_it_keeps_code_and_styles_out_of_the_html(client):
    call_command("seed_demo", calls=20)
    first, second = Call.objects.filter(app="shop").order_by("-id")[:2]
    pages = [
        "/",
        "/apps/shop/calls/",
        "/apps/shop/calls/?status=error",
        f"/apps/shop/calls/{first.id}/",
        f"/apps/shop/compare/?ids={first.id}&ids={second.id}",
        "/apps/shop/compare/",
        "/apps/nope/calls/",
        "/apps/shop/trends/?window=7d",
    ]
    for page in pages:
        html = client.get(page).content.decode()
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
        for attributes, body in scripts:
            assert 'src="' in attributes or 'type="application/json"' in attributes, page
            assert not body.strip() or 'type="application/json"' in attributes, page
        assert not re.search(r"\sstyle=", html), page
        assert not re.search(r"\son[a-z]+=", html), page

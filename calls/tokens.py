"""API tokens: machines' credentials for ingest, kept as digests."""

import hashlib
import secrets

from django.db import models
from django.utils import timezone


class ApiToken(models.Model):
    """A machine's credential for writes. Only a SHA-256 digest is kept, so a copy of the
    database does not hand out working tokens."""

    name = models.CharField(max_length=100, unique=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def digest_of(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @classmethod
    def issue(cls, name: str) -> str:
        """Create a token and return its key, which is shown this once and never stored."""
        key = secrets.token_urlsafe(32)
        cls.objects.create(name=name, digest=cls.digest_of(key))
        return key

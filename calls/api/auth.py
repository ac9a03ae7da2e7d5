"""Who may do what on the API: reads open unless READ_REQUIRES_LOGIN, writes need a token
(machines) or a staff session with the permission to add calls (people)."""

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from calls.models import ApiToken


class TokenAuthentication(BaseAuthentication):
    """`Authorization: Token <key>`, or `Bearer <key>` as the Fn CLI sends its FN_TOKEN,
    checked against the stored digests of ApiToken."""

    keyword = "Token"
    keywords = (b"token", b"bearer")

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise AuthenticationFailed("Invalid token header: expected 'Token <key>'")
        try:
            key = header[1].decode()
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid token") from None
        token = ApiToken.objects.filter(digest=ApiToken.digest_of(key)).first()
        if token is None:
            raise AuthenticationFailed("Invalid token")
        # A token stands for a machine, not a person: no user account behind it.
        return AnonymousUser(), token

    def authenticate_header(self, request) -> str:
        return self.keyword


class FnAccess(BasePermission):
    def has_permission(self, request, view) -> bool:
        signed_in = request.auth is not None or request.user.is_authenticated
        if request.method in SAFE_METHODS:
            return signed_in or not settings.READ_REQUIRES_LOGIN
        return request.auth is not None or (
            request.user.is_staff and request.user.has_perm("calls.add_call")
        )

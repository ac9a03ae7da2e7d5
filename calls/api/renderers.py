"""How the API writes its answers. Kept apart from the views because DRF imports its default
renderer while it imports its own views."""

from rest_framework.renderers import BaseRenderer, JSONRenderer


class FnJSONRenderer(JSONRenderer):
    charset = "utf-8"  # gin answers `application/json; charset=utf-8`


class PlainTextRenderer(BaseRenderer):
    """For the log endpoint's `Accept: text/plain`: the log itself."""

    media_type = "text/plain"
    format = "txt"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode()

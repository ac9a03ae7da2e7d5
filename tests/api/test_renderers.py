"""CallsRenderer (orjson) writes calls byte for byte as FnJSONRenderer (DRF's json.dumps)."""

from calls.api.renderers import CallsRenderer, FnJSONRenderer
from calls.stats import MAX_METRIC


def test_it_writes_calls_exactly_as_the_standard_renderer_does():
    call = {
        "id": "01BZYZEWG3M7WG200000000000",
        "status": "error",
        "app_name": "myapp",
        "path": "/héllo/世界",
        "completed_at": "0001-01-01T00:00:00.000Z",
        "error": 'line\u2028sep\u2029para "quoted" \\ back \t tab \x01 ctl \x7f del </script>',
        "stats": [{"timestamp": "2017-11-27T14:52:53.123Z", "metrics": {"a": 0, "z": MAX_METRIC}}],
    }
    data = {"message": "Successfully listed calls", "next_cursor": "", "calls": [call, call]}
    assert CallsRenderer().render(data) == FnJSONRenderer().render(data)
    assert CallsRenderer().render(None) == FnJSONRenderer().render(None)

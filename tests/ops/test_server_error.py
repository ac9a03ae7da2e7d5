"""Django's handler500, for errors no view answered: Fn's shape under /v1/, a plain page
elsewhere (tests/ops/test_health.py sees it answer 503 while the database is down)."""

from calls.ops.views import server_error


def answer_to_a_bug(rf, path: str):
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        return server_error(rf.get(path))


def test_it_answers_a_bug_under_v1_in_fns_shape(rf):
    response = answer_to_a_bug(rf, "/v1/apps/myapp/calls")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response.content == b'{"error": {"message": "internal server error"}}'


def test_it_answers_a_bug_on_a_page_with_a_plain_page(rf):
    response = answer_to_a_bug(rf, "/apps/myapp/calls/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert "a bug" not in html

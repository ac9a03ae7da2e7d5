"""GET /version answers as Fn's server does, for the Fn CLI's `fn version`, with fnweb's."""

import fnweb


def test_it_answers_with_fnwebs_version_like_fns_server(client, settings):
    settings.READ_REQUIRES_LOGIN = True  # Fn's server answers it to anyone, as /healthz
    response = client.get("/version")
    assert response.status_code == 200
    assert response.json() == {"version": fnweb.__version__}
    assert fnweb.__version__.count(".") == 2

"""Helpers for the API's tests: a call as Fn's JSON has it, and posting it to ingest."""

import json

from calls.fntime import NS_PER_SECOND, format_timestamp, parse_timestamp

START = parse_timestamp("2017-11-27T14:52:53.123Z")


def fn_call(**fields):
    call = {
        "status": "success",
        "path": "/hello",
        "created_at": "2017-11-27T14:52:53.123Z",
        "started_at": "2017-11-27T14:52:53.200Z",
        "completed_at": "2017-11-27T14:53:03.000Z",
    }
    call.update(fields)
    return {key: value for key, value in call.items() if value is not None}


def raw_stats(count, **metrics):
    return [
        {
            "timestamp": format_timestamp(START + i * NS_PER_SECOND),
            "metrics": {"cpu_total": i, **metrics},
        }
        for i in range(count)
    ]


def post(client, body, app="myapp", status=201, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    response = client.post(
        f"/v1/apps/{app}/calls", data, content_type=extra.pop("content_type", "application/json"),
        **extra,
    )  # fmt: skip
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return response.json()

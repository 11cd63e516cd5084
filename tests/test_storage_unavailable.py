"""docs/protocol.md: while storage is away, GET /projector/sheet/ and GET
/projector/view/ answer 503 with {"error": "storage_unavailable", "retry_after": 2} and
a Retry-After header, so a wall keeps its picture and a phone its view and both ask
again."""

from __future__ import annotations

import orjson
import pytest
from django.db import OperationalError

from projector import views
from projector.view_cache import view_cache_forget


def _database_away(*args, **kwargs):
    raise OperationalError("could not connect to server")


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/projector/sheet/", "/projector/view/"])
def test_storage_away_answers_503_with_when_to_ask_again(client, monkeypatch, path):
    view_cache_forget()  # a cached view would answer without asking storage
    monkeypatch.setattr(views, "sheet_current", _database_away)
    response = client.get(path)
    assert response.status_code == 503
    assert orjson.loads(response.content) == {"error": "storage_unavailable", "retry_after": 2}
    assert response["Retry-After"] == "2"


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/projector/sheet/", "/projector/view/"])
def test_with_storage_back_the_same_request_answers(client, path):
    view_cache_forget()
    response = client.get(path)
    assert response.status_code == 200 and "strokes" in orjson.loads(response.content)

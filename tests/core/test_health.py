import json

import pytest


@pytest.mark.django_db
def test_healthz_reports_database_and_tasks_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok", "database": "ok", "tasks": "ok"}


@pytest.mark.django_db
def test_healthz_reports_a_broken_database(client, monkeypatch):
    from regionhub.core import views

    class Broken:
        def cursor(self):
            raise RuntimeError("down")

    monkeypatch.setattr(views, "connection", Broken())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["database"] == "error"

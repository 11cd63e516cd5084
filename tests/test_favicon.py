"""Every page has a favicon, the admin's included (browsers ask for /favicon.ico)."""

import pytest


@pytest.mark.django_db
def test_favicon_ico_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith(".svg")
    assert "favicon" in response["Location"]

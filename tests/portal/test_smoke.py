def test_home_lists_offers_with_prices(client, grid):
    response = client.get("/")
    assert response.status_code == 200
    assert "Forfait Liberté 20" in response.text
    assert "20,000" in response.text


def test_alice_sees_her_lines(client, alice):
    client.force_login(alice.user)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    assert alice.contracts.get().lines.get().number.msisdn in response.text


def test_the_back_office_underlines_its_breadcrumb_links(client, supervisor):
    """axe's link-in-text-block: the admin's breadcrumbs are told from their text by more than
    colour, through the back office's stylesheet."""
    from django.contrib.staticfiles import finders

    client.force_login(supervisor)
    page = client.get("/admin/").content.decode()
    assert 'href="/static/css/admin.' in page
    with open(finders.find("css/admin.css")) as stylesheet:
        assert "text-decoration: underline" in stylesheet.read()

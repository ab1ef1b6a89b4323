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

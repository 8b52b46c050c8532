"""Codes in a tool's arguments: checked against the twin, an unknown or missing one reported."""


def test_unknown_or_missing_codes_are_reported_not_guessed(desk, tools_for):
    tool = tools_for("viewer")["forecast_demand"]
    assert tool.invoke({"sku": "SKU-9999", "location": "DC-DAL"}) == "SKU-9999 is not in the twin"
    assert tool.invoke({"sku": "SKU-0042", "location": "DC-XYZ"}) == "DC-XYZ is not in the twin"
    assert tool.invoke({"sku": "SKU-0042", "location": "CUST-0001"}) == "'CUST-0001' is not a DC code"
    assert tool.invoke({"sku": "SKU-0042"}) == "name a DC: one of DC-ATL, DC-CHI, DC-DAL, DC-HOU, DC-LAX"
    assert tool.invoke({"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 52}) == (
        "the forecaster looks 1 to 4 weeks ahead, not 52; ask for 4 weeks or fewer"
    )

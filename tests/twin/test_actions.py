from twin import actions as a


def test_references_name_each_code_with_its_parameter():
    stops = a.TenderStops(params=a.TenderStopsParams(carrier="CAR-METRO", shipments=["SHP-1", "SHP-2"], truck="TRK-9"))
    named = a.references(stops)
    assert named.codes == [("shipments", "SHP-1"), ("shipments", "SHP-2"), ("truck", "TRK-9")]
    assert named.shipments == ["SHP-1", "SHP-2"]
    assert named.trucks == ["TRK-9"]
    assert named.carriers == ["CAR-METRO"]


def test_references_of_a_transfer_name_its_sku_positions_and_lane():
    move = a.TransferStock(params=a.TransferStockParams.between("SKU-0042", "DC-DAL", "DC-HOU", 10))
    named = a.references(move)
    assert named.codes == [("sku", "SKU-0042")]
    assert named.named("sku") == ["SKU-0042"]
    assert named.positions == [("SKU-0042", "DC-DAL"), ("SKU-0042", "DC-HOU")]
    assert named.scopes == ["DAL-HOU", "DC-HOU"]
    assert named.shipments == [] and named.trucks == []


def test_a_carrier_booking_names_the_sku_it_carries_but_no_stock_position():
    booking = a.BookCarrier(
        params=a.BookCarrierParams(lane="DAL-HOU", carrier="CAR-SWIFTLINE", transfer_sku="SKU-0007")
    )
    named = a.references(booking)
    assert named.named("sku") == ["SKU-0007"]
    assert named.positions == []
    assert a.references(a.BookCarrier(params=a.BookCarrierParams(lane="DAL-HOU", carrier="CAR-SWIFTLINE"))).codes == []


def test_every_parameter_named_is_a_known_kind():
    assert set(a.CODE_PARAMS.values()) == {"shipment", "truck", "sku"}


def test_entity_codes_name_every_code_with_its_location_at_any_depth():
    plan = a.PlanTenders(
        params=a.PlanTendersParams(
            day="2026-11-02",
            allocations=[a.TenderAllocation(lane="DAL-HOU", tier="gold", carrier="CAR-SWIFTLINE", loads=1.5)],
        )
    )
    assert list(a.entity_codes(plan.params.as_dict(), ("params",))) == [
        (("params", "allocations", 0, "lane"), "lane", "DAL-HOU"),
        (("params", "allocations", 0, "carrier"), "carrier", "CAR-SWIFTLINE"),
    ]
    move = a.TransferStock(params=a.TransferStockParams.between("SKU-0042", "DC-DAL", "DC-HOU", 10))
    assert {(kind, code) for _, kind, code in a.entity_codes(move.params.as_dict())} == {
        ("sku", "SKU-0042"),
        ("dc", "DC-DAL"),
        ("dc", "DC-HOU"),
    }

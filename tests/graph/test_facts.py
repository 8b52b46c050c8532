from agents.schemas import Refs
from graph.facts import outside
from twin import actions as a


def _notify(shipment: str) -> a.NotifyCustomer:
    return a.NotifyCustomer(params=a.NotifyCustomerParams(shipment_id=shipment))


def test_an_edit_on_the_exceptions_shipment_names_nothing_outside():
    assert outside(Refs(shipment_id="SHP-000001"), [], [_notify("SHP-000001")]) == []


def test_an_edit_naming_another_shipment_is_reported_with_its_parameter():
    found = outside(Refs(shipment_id="SHP-000001"), [], [_notify("SHP-000001"), _notify("SHP-000002")])
    assert [(ref.action, ref.param, ref.code) for ref in found] == [(1, "shipment_id", "SHP-000002")]


def test_a_sku_the_plan_books_a_carrier_for_may_be_named_by_the_edit():
    booking = a.BookCarrier(params=a.BookCarrierParams(lane="DAL-HOU", carrier="CAR-METRO", transfer_sku="SKU-0007"))
    order = a.PlacePurchaseOrder(params=a.PurchaseOrderParams(sku="SKU-0007", location="DC-HOU", qty=5))
    stranger = a.PlacePurchaseOrder(params=a.PurchaseOrderParams(sku="SKU-0008", location="DC-HOU", qty=5))
    assert outside(Refs(sku="SKU-0042", location="DC-HOU"), [booking], [order]) == []
    assert [ref.code for ref in outside(Refs(sku="SKU-0042", location="DC-HOU"), [booking], [stranger])] == ["SKU-0008"]

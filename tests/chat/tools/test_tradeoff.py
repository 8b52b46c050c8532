"""Trade-off tools: the versions in force (face value where none covers every scope), and a version set by an
architect through the audited store function, a weight left out kept as it applies, bad input refused by name."""

from sqlmodel import select

from twin import models as m


def test_a_version_is_set_by_architects_keeping_the_weight_not_named(desk, tools_for):
    architect, viewer = tools_for("architect"), tools_for("viewer")
    [face] = viewer["tradeoff"].invoke({})["rules"]
    assert (face["tier"], face["lane"], face["on_time"], face["co2"], face["version"]) == ("*", "*", 1.0, 0.0, 0)

    assert viewer["set_tradeoff"].invoke({"tier": "gold", "on_time": 3, "reason": "r"}) == (
        "the viewer role cannot set the trade-off; architect or admin can"
    )
    assert (
        architect["set_tradeoff"].invoke({"co2": -1, "reason": "r"}).startswith("the CO2 weight -1 is outside 0 to 10")
    )
    assert architect["set_tradeoff"].invoke({"tier": "platinum", "on_time": 2, "reason": "r"}) == (
        "the tier is one of gold, silver, standard, not platinum"
    )
    assert (
        architect["set_tradeoff"]
        .invoke({"lane": "DAL-NOWHERE", "on_time": 2, "reason": "r"})
        .endswith("is not a lane code")
    )
    carbon = architect["set_tradeoff"].invoke({"co2": 2.0, "reason": "carbon counts"})
    assert (carbon["changed"]["version"], carbon["changed"]["on_time"], carbon["changed"]["co2"]) == (1, 1.0, 2.0)
    gold = architect["set_tradeoff"].invoke({"tier": "gold", "lane": "dal-hou", "on_time": 4, "reason": "gold"})
    assert (gold["changed"]["lane"], gold["changed"]["on_time"], gold["changed"]["co2"]) == ("DAL-HOU", 4.0, 2.0)
    assert [(r["tier"], r["lane"]) for r in gold["rules"]] == [("*", "*"), ("gold", "DAL-HOU")]

    shown = viewer["tradeoff"].invoke({"tier": "silver"})["rules"]
    assert [(r["tier"], r["version"]) for r in shown] == [("*", 1)]
    with desk.toolbox.session() as session:
        audited = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "tradeoff_updated")).all()
    assert [(e.actor, e.detail["after"]["version"]) for e in audited] == [("test-architect", 1), ("test-architect", 1)]

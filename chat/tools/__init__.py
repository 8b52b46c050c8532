"""The chat's tools by topic (shipments, stock, fleet, carriers, what-ifs, risks, decisions, KPIs) and their registry."""

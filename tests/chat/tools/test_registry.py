"""Every chat tool has an answer template."""

from chat.answers import TEMPLATES
from chat.tools.registry import make_chat_tools


def test_every_tool_has_an_answer_template(desk):
    assert {tool.name for tool in make_chat_tools(desk, "viewer", "v")} == set(TEMPLATES)

"""Where a login may send the browser back: local paths only."""

import pytest

from services.web_ui.auth import HOME, safe_next


@pytest.mark.parametrize(
    "target",
    ["/ui/", "/ui/incidents/1?x=1", "/ui/oncall", "/ui/?status=open&offset=50"],
)
def test_next_keeps_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example/ui/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "ui/",
        "/ui/\r\nSet-Cookie: x=1",
        "/ui/ x",
        "http:/evil.example",
    ],
)
def test_next_refuses_anything_that_can_leave_the_site(target):
    assert safe_next(target) == HOME

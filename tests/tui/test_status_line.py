"""The status line keeps to one line of the screen: with two dozen badges
and long reasons beside them, the badges keep their room, the first badge
and the count are in view, and the prompt is still on screen."""
from __future__ import annotations

import pytest
from textual.widgets import Input

from core import events as ev
from tests.tui.conftest import app_for, wait_for
from tests.tui.test_snapshots import LARGE, SMALL, connected
from tests.tui.test_snapshots_status import LONG_REASON, many_outcomes
from tui.widgets.badges import Badge, UpdateBadges

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x60"])
async def test_badges_keep_their_room_beside_long_reasons(runtime, size):
    connected(runtime)
    runtime.bus.publish(ev.AudioState(mode="text", reason=LONG_REASON))
    many_outcomes(runtime)
    app = app_for(runtime)
    async with app.run_test(size=size) as pilot:
        screen = app.main_screen
        width, height = size
        bar = screen.query_one("#status-bar")
        await wait_for(pilot, lambda: bar.has_class("-with-updates") and len(screen.query(Badge)) == 24
                       and screen.query(Badge).first().region)
        await pilot.pause()
        assert bar.region.height == 1 and bar.region.right <= width
        for part in bar.children:
            assert part.region.right <= width, part
        badges = screen.query_one(UpdateBadges)
        assert badges.region.width >= 24
        first = badges.query(Badge).first()
        assert badges.region.contains_region(first.region)  # whole, cut with … if need be
        assert "24 updates" in str(badges.query_one("#badge-count").render())
        prompt = screen.query_one("#prompt", Input)
        assert prompt.region.height == 3 and prompt.region.bottom <= bar.region.y


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x60"])
async def test_the_wait_for_the_next_try_stays_in_view_beside_badges(runtime, size):
    from tui.widgets.banner import ConnectionBanner

    app = app_for(runtime)
    async with app.run_test(size=size) as pilot:
        screen = app.main_screen
        bar = screen.query_one("#status-bar")
        for i in range(5):  # outside producers' updates: shown while the assistant is away too
            runtime.bus.publish(ev.NewCallUpdateAvailable(contact_name=f"Branch {i}", status_summary="Report in."))
        runtime.bus.publish(ev.VoiceState(state="reconnecting", detail="connection reset by peer", attempt=3,
                                               retry_in_s=8.0))
        runtime.bus.publish(ev.ConnectionStatus(status="disconnected", message="Reconnecting"))
        banner = screen.query_one(ConnectionBanner)
        await wait_for(pilot, lambda: bar.has_class("-with-updates") and "next try in" in str(banner.render()))
        await pilot.pause()
        shown = str(banner.render())
        assert banner.region.width >= len(shown)  # nothing of it cut
        if size == SMALL:
            assert shown.startswith("Reconnecting") and "next try in" in shown
        else:
            assert shown.startswith("Assistant connectivity issues. Attempting to reconnect")
        assert "Attempting to reconnect" in str(banner.tooltip)  # the whole words, on hover

"""The web studio in a real browser, through the whole flow, against the local stack.

Every test checks the page stayed clean: no console or page errors, no failed requests and no HTTP
error answers other than the ones the test provokes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.conftest import LIVE_CHANNEL, SAMPLE_CHANNEL, SAMPLE_PREFIX, SAMPLE_RECORDING, Stack

SCREENSHOT = os.environ.get("STUDIO_SCREENSHOT")  # e.g. docs/studio.png: the flow test saves one there


# Where the clip player first plays from (installed before a clip is clicked), and what it played.
# (Not `played`: Chromium counts a start position set before metadata as played from 0.)
FIRST_PLAYING = """() => { delete window.__firstPlaying; window.__playedTimes = [];
    const v = document.querySelector('[data-testid=clip-player]');
    v.addEventListener('playing', () => { window.__firstPlaying = v.currentTime }, { once: true });
    v.addEventListener('timeupdate', () => {
        if (!v.paused && !v.seeking) window.__playedTimes.push(v.currentTime) }); }"""


def open_studio(page: Page, stack: Stack, query: str = "", *, expect_errors: bool = False) -> None:
    page.goto(f"{stack.url}/{query}")
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    if expect_errors:
        return
    assert page.locator("#recordings-error").is_hidden(), page.locator("#recordings-error").text_content()
    assert page.locator("#clips-error").is_hidden(), page.locator("#clips-error").text_content()


def select_sample(page: Page) -> None:
    item = page.get_by_test_id("recording-item").filter(has_text=SAMPLE_CHANNEL)
    expect(item).to_have_count(1)
    item.click()
    expect(item).to_have_class("item recording selected")
    # hls.js attached and the media has a duration (the sample is ~40 s).
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=player]');"
        " return v.readyState >= 2 && v.duration > 30 }"
    )


def seek(page: Page, testid: str, seconds: float) -> None:
    """Seek a video and wait for the seek to land (readyState >= 2 at the new time)."""
    page.evaluate(
        """([id, t]) => new Promise((resolve) => {
            const v = document.querySelector(`[data-testid=${id}]`);
            v.pause();
            v.addEventListener('seeked', () => resolve(), { once: true });
            v.currentTime = t;
        })""",
        [testid, seconds],
    )
    page.wait_for_function(f"() => document.querySelector('[data-testid={testid}]').readyState >= 2")


def current_time(page: Page, testid: str) -> float:
    return page.evaluate(f"() => document.querySelector('[data-testid={testid}]').currentTime")


def wait_playing(page: Page, testid: str, beyond: float) -> None:
    page.wait_for_function(
        f"() => {{ const v = document.querySelector('[data-testid={testid}]');"
        f" return !v.paused && v.currentTime > {beyond} }}",
        timeout=20_000,
    )


def test_recordings_listed_newest_first_with_details(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    items = page.get_by_test_id("recording-item")
    expect(items).to_have_count(2)
    # The live copy is a day newer, so first; it carries the live badge, the ended sample does not.
    expect(items.nth(0)).to_contain_text(LIVE_CHANNEL)
    expect(items.nth(0).locator(".badge")).to_have_text("LIVE")
    expect(items.nth(1)).to_contain_text(SAMPLE_CHANNEL)
    expect(items.nth(1)).to_contain_text("2024-05-06 07:08:09 UTC")
    expect(items.nth(1)).to_contain_text("0:40")
    expect(items.nth(1).locator(".badge")).to_have_text("ended")
    # Thumbnails loaded (naturalWidth > 0 means the image decoded).
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=recording-item] img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator("[data-testid=recording-item] img").count() == 2
    page.watch.assert_clean()


def test_channel_filter_and_paging(page: Page, stack: Stack) -> None:
    open_studio(page, stack, "?limit=1")
    items = page.get_by_test_id("recording-item")
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text(LIVE_CHANNEL)
    more = page.get_by_role("button", name="Load more recordings")
    expect(more).to_be_visible()
    with page.expect_request(lambda r: "/getrecordings" in r.url and "cursor=" in r.url):
        more.click()
    expect(items).to_have_count(2)
    expect(items.nth(1)).to_contain_text(SAMPLE_CHANNEL)
    expect(more).to_be_hidden()

    page.get_by_label("Channel", exact=True).fill(SAMPLE_CHANNEL)
    with page.expect_request(lambda r: "/getrecordings" in r.url and f"channel={SAMPLE_CHANNEL}" in r.url):
        page.get_by_role("button", name="Filter", exact=True).click()
    expect(items).to_have_count(1)
    expect(items.nth(0)).to_contain_text(SAMPLE_RECORDING)

    page.get_by_label("Channel", exact=True).fill("NoSuchChannel")
    page.get_by_role("button", name="Filter", exact=True).click()
    expect(items).to_have_count(0)
    expect(page.get_by_text("No recordings.")).to_be_visible()
    page.watch.assert_clean()


def test_whole_flow_mark_create_list_play_every_rendition(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    select_sample(page)
    recording = page.evaluate("() => window.__studio.state.selected")
    # The sample has byte-range playlists, so the player plays its byte-range master.
    assert page.evaluate("() => window.__studio.hls.url").endswith("/media/hls/byte-range-multivariant.m3u8")

    # Play: time advances.
    page.get_by_role("button", name="Play", exact=True).click()
    wait_playing(page, "player", 1.0)

    # Mark in at 5 s, out at 12 s.
    seek(page, "player", 5.0)
    page.get_by_test_id("mark-in").click()
    seek(page, "player", 12.0)
    page.get_by_test_id("mark-out").click()
    expect(page.get_by_label("In (s)")).to_have_value("5.000")
    expect(page.get_by_label("Out (s)")).to_have_value("12.000")
    expect(page.locator("#mark-length")).to_have_text("Clip length 7.000 s")
    # The timeline shows the range: it starts at 5/duration and spans 7/duration of the track.
    geometry = page.evaluate(
        """() => { const t = document.querySelector('.timeline-track').getBoundingClientRect();
                   const r = document.querySelector('#timeline-range').getBoundingClientRect();
                   const d = document.querySelector('[data-testid=player]').duration;
                   return {left: (r.left - t.left) / t.width, width: r.width / t.width, d} }"""
    )
    assert abs(geometry["left"] - 5 / geometry["d"]) < 0.01, geometry
    assert abs(geometry["width"] - 7 / geometry["d"]) < 0.01, geometry

    page.get_by_test_id("clip-title").fill("Studio goal")
    with page.expect_request(lambda r: r.url.endswith("/clipmanifest") and r.method == "POST") as posted:
        page.get_by_test_id("create-clip").click()
    request = posted.value
    assert request.headers["content-type"].startswith("application/json")
    assert json.loads(request.post_data) == {
        "master_url": recording["url"],
        "start_time": 5,
        "end_time": 12,
        "title": "Studio goal",
    }
    response = request.response()
    assert response.status == 201, response.status  # a fresh data directory: the clip is new
    answer = response.json()
    assert answer["requested"]["start_seconds"] == 5.0 and answer["requested"]["end_seconds"] == 12.0

    # The result shows actual edges against requested ones, from the API's answer.
    result = page.locator("#clip-result")
    expect(result).to_be_visible()
    expect(result.locator("h3")).to_have_text("New clip")
    expect(result.locator("#clip-note")).to_be_hidden()
    expect(result.locator("[data-field=requested]")).to_have_text("5.000 – 12.000 s")
    expect(result.locator("[data-field=actual]")).to_contain_text(
        f"{answer['start_seconds']:.3f} – {answer['end_seconds']:.3f} s"
    )

    # Listed, newest first, with its title and requested window.
    clip_item = page.get_by_test_id("clip-item").first
    expect(clip_item).to_contain_text("Studio goal")
    expect(clip_item).to_contain_text("requested 5.000–12.000 s")

    # Play it from the list: hls.js honours #EXT-X-START, so it starts at the requested start.
    page.evaluate(FIRST_PLAYING)
    clip_item.click()
    expect(page.get_by_test_id("clip-player")).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=clip-player]'); return v.readyState >= 2 }"
    )
    offset = answer["start_offset"]
    page.wait_for_function(
        "() => { const v = document.querySelector('[data-testid=clip-player]'); return !v.paused && v.currentTime > 0 }"
    )
    page.wait_for_function("() => window.__firstPlaying !== undefined")
    started = page.evaluate("() => window.__firstPlaying")
    assert abs(started - offset) < 0.1, (started, offset)
    page.wait_for_function("() => window.__playedTimes.length >= 3")
    played = page.evaluate("() => window.__playedTimes")
    assert played and min(played) >= offset - 0.1, (played[:5], offset)
    assert page.evaluate("() => window.__studio.clipHls.url") == answer["url"]

    # Every rendition decodes when forced.
    levels = page.evaluate("() => window.__studio.clipHls.levels.length")
    assert levels == len(answer["renditions"]) >= 2
    for index in range(levels):
        before = current_time(page, "clip-player")
        page.evaluate(f"() => {{ window.__studio.clipHls.currentLevel = {index} }}")
        page.wait_for_function(
            f"""() => {{ const h = window.__studio.clipHls, v = document.querySelector('[data-testid=clip-player]');
                       return h.currentLevel === {index} && h.levels[{index}].details && !v.paused
                              && v.currentTime > {before} + 0.5
                              && v.videoWidth === h.levels[{index}].width }}""",
            timeout=20_000,
        )
    clip_errors = page.evaluate("() => window.__studio.clipPlayer.errors")
    assert not [e for e in clip_errors if e["fatal"] or e["type"] == "mediaError"], clip_errors
    assert page.evaluate("() => document.querySelector('[data-testid=clip-player]').error") is None

    # The rendition buttons reflect the level; the link input holds the clip's URL.
    expect(page.get_by_test_id("clip-link")).to_have_value(answer["url"])

    if SCREENSHOT:
        Path(SCREENSHOT).parent.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => document.querySelector('[data-testid=clip-player]').pause()")
        seek(page, "player", 8.0)
        page.screenshot(path=SCREENSHOT)

    player_errors = page.evaluate("() => window.__studio.player.errors")
    assert not [e for e in player_errors if e["fatal"]], player_errors
    page.watch.assert_clean()


def test_copy_link_puts_the_clip_url_on_the_clipboard(browser, stack: Stack) -> None:
    from tests.browser.conftest import PageWatch

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url)
        page = context.new_page()
        watch = PageWatch(page)
        status, clip = stack.api_json(
            "POST",
            "/clipmanifest",
            {
                "master_url": f"{stack.api}/media/{SAMPLE_PREFIX}/media/hls/master.m3u8",
                "start_time": 20,
                "end_time": 24,
                "title": "Copy me",
            },
        )
        assert status in (200, 201), clip
        open_studio(page, stack)
        item = page.get_by_test_id("clip-item").filter(has_text="Copy me")
        item.get_by_role("button", name="Copy the link of clip Copy me").click()
        expect(page.locator("#copy-status")).to_have_text("Link copied.")
        assert page.evaluate("() => navigator.clipboard.readText()") == clip["url"]
        # Copying does not start playback; clicking the item does.
        expect(page.get_by_test_id("clip-player")).to_be_hidden()
        item.click()
        expect(page.get_by_test_id("clip-player")).to_be_visible()
        page.get_by_test_id("copy-link").click()
        expect(page.locator("#copy-status")).to_have_text("Link copied.")
        assert page.evaluate("() => navigator.clipboard.readText()") == clip["url"]
        watch.assert_clean()
    finally:
        context.close()


def test_same_window_again_returns_the_existing_clip(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    select_sample(page)
    page.get_by_label("In (s)").fill("31")
    page.get_by_label("Out (s)").fill("33.5")
    page.get_by_test_id("clip-title").fill("First title")
    with page.expect_response(lambda r: r.url.endswith("/clipmanifest")) as first:
        page.get_by_test_id("create-clip").click()
    assert first.value.status == 201, first.value.text()
    expect(page.locator("#clip-result")).to_be_visible()
    expect(page.locator("#clip-result h3")).to_have_text("New clip")
    expect(page.get_by_test_id("create-clip")).to_be_enabled()
    page.get_by_test_id("clip-title").fill("Second title")
    with page.expect_response(lambda r: r.url.endswith("/clipmanifest")) as answered:
        page.get_by_test_id("create-clip").click()
    assert answered.value.status == 200, answered.value.text()
    expect(page.locator("#clip-result h3")).to_have_text("Existing clip")
    expect(page.locator("#clip-note")).to_contain_text("it keeps its title “First title”")
    expect(page.get_by_test_id("clip-item").filter(has_text="First title")).to_have_count(1)
    expect(page.get_by_test_id("clip-item").filter(has_text="Second title")).to_have_count(0)
    page.watch.assert_clean()


def test_keyboard_shortcuts(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    select_sample(page)
    page.locator("body").click(position={"x": 5, "y": 790})  # focus nothing in particular
    page.keyboard.press(" ")
    wait_playing(page, "player", 0.5)
    page.keyboard.press(" ")
    page.wait_for_function("() => document.querySelector('[data-testid=player]').paused")

    seek(page, "player", 10.0)
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => Math.abs(document.querySelector('[data-testid=player]').currentTime - 11) < 0.01")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("() => Math.abs(document.querySelector('[data-testid=player]').currentTime - 9) < 0.01")
    page.keyboard.press("i")
    expect(page.get_by_label("In (s)")).to_have_value("9.000")
    page.keyboard.press(".")
    fps = page.evaluate("() => window.__studio.player.fps()")
    assert fps == 30  # the sample's master carries FRAME-RATE=30.000
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('[data-testid=player]').currentTime - (9 + 1 / {fps})) < 0.002"
    )
    page.keyboard.press(",")
    page.keyboard.press(",")
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('[data-testid=player]').currentTime - (9 - 1 / {fps})) < 0.002"
    )
    seek(page, "player", 14.5)
    page.keyboard.press("o")
    expect(page.get_by_label("Out (s)")).to_have_value("14.500")

    # Typing in a field does not trigger shortcuts.
    page.get_by_test_id("clip-title").fill("")
    page.get_by_test_id("clip-title").press_sequentially("io .")
    expect(page.get_by_test_id("clip-title")).to_have_value("io .")
    expect(page.get_by_label("In (s)")).to_have_value("9.000")
    expect(page.get_by_label("Out (s)")).to_have_value("14.500")
    page.watch.assert_clean()


def test_api_error_text_is_shown(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    select_sample(page)
    recording = page.evaluate("() => window.__studio.state.selected")
    # Typed times: a window past the end of the ~40 s sample.
    page.get_by_label("In (s)").fill("30")
    page.get_by_label("Out (s)").fill("90")
    with page.expect_response(lambda r: r.url.endswith("/clipmanifest")) as answered:
        page.get_by_test_id("create-clip").click()
    response = answered.value
    assert response.status == 422
    api_error = response.json()["error"]
    assert "is not inside the recording" in api_error
    expect(page.locator("#clip-error")).to_have_text(api_error)
    expect(page.locator("#clip-error")).to_be_visible()
    # The same request straight to the API gives the same text: the page shows the API's words.
    status, body = stack.api_json(
        "POST", "/clipmanifest", {"master_url": recording["url"], "start_time": 30, "end_time": 90}
    )
    assert status == 422 and body["error"] == api_error
    expect(page.get_by_test_id("create-clip")).to_be_enabled()
    expect(page.get_by_test_id("create-clip")).to_have_text("Create clip")
    page.watch.assert_clean(allowed_statuses={(422, "/clipmanifest")})


def test_checks_before_asking_the_api(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    select_sample(page)
    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    page.get_by_test_id("create-clip").click()
    expect(page.locator("#clip-error")).to_contain_text("Mark the in and the out")
    page.get_by_label("In (s)").fill("12")
    page.get_by_label("Out (s)").fill("5")
    expect(page.locator("#mark-length")).to_have_text("Out must be after in.")
    page.get_by_test_id("create-clip").click()
    expect(page.locator("#clip-error")).to_have_text("The out (5.000 s) must be after the in (12.000 s).")
    assert posts == []
    page.watch.assert_clean()


def test_listing_errors_and_unreachable_api(page: Page, stack: Stack) -> None:
    message = "the listing failed (a test answer)"

    def fail(route) -> None:
        route.fulfill(
            status=503,
            content_type="application/json",
            body=json.dumps({"error": message, "code": "storage_unavailable"}),
        )

    page.route("**/getrecordings*", fail)
    open_studio(page, stack, expect_errors=True)
    expect(page.locator("#recordings-error")).to_have_text(message)
    expect(page.locator("#recordings-loading")).to_be_hidden()
    page.unroute("**/getrecordings*")
    page.get_by_role("button", name="Refresh the recordings").click()
    expect(page.locator("#recordings-error")).to_be_hidden()
    expect(page.get_by_test_id("recording-item")).to_have_count(2)

    page.route("**/getclips*", lambda route: route.abort("connectionrefused"))
    page.get_by_role("button", name="Refresh the clips").click()
    expect(page.locator("#clips-error")).to_contain_text("Cannot reach the API")
    page.unroute("**/getclips*")
    page.watch.assert_clean(allowed_statuses={(503, "/getrecordings")}, allowed_failures=("/getclips",))


def test_later_controls_follow_the_config(page: Page, stack: Stack) -> None:
    """The local API has expiry and last_seconds: the expiry field is there; "last 30 s" only for live ones."""
    open_studio(page, stack)
    select_sample(page)
    expect(page.get_by_test_id("clip-expiry")).to_be_visible()
    expect(page.get_by_test_id("last-30")).to_be_hidden()  # the sample has ended
    page.watch.assert_clean()


def test_phone_viewport(browser, stack: Stack) -> None:
    from tests.browser.conftest import PageWatch

    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        watch = PageWatch(page)
        open_studio(page, stack)
        # One column: the recordings come first, and selecting one brings the player into view.
        expect(page.get_by_test_id("recording-item").first).to_be_in_viewport()
        select_sample(page)
        expect(page.get_by_test_id("player")).to_be_in_viewport()
        page.get_by_test_id("clip-title").fill("Phone clip")

        def no_overflow() -> None:
            widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            assert widths[0] <= widths[1], widths

        no_overflow()
        for locator in (
            page.get_by_test_id("player"),
            page.get_by_role("button", name="Play", exact=True),
            page.get_by_test_id("mark-in"),
            page.get_by_test_id("mark-out"),
            page.get_by_label("In (s)"),
            page.get_by_label("Out (s)"),
            page.get_by_test_id("clip-title"),
            page.get_by_test_id("create-clip"),
            page.get_by_test_id("recording-item").first,
        ):
            locator.scroll_into_view_if_needed()
            expect(locator).to_be_visible()
            box = locator.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (locator, box)
        # The flow works by touch too: mark, create, and the clip plays.
        seek(page, "player", 3.0)
        page.get_by_test_id("mark-in").tap()
        seek(page, "player", 6.0)
        page.get_by_test_id("mark-out").tap()
        page.get_by_test_id("create-clip").tap()
        expect(page.get_by_test_id("clip-item").filter(has_text="Phone clip")).to_have_count(1)
        expect(page.get_by_test_id("clip-player")).to_be_visible()
        wait_playing(page, "clip-player", 0.2)
        no_overflow()
        box = page.get_by_test_id("clip-player").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, box
        watch.assert_clean()
    finally:
        context.close()

"""The studio's clip lifecycle controls in a real browser against the local stack: details, delete,
expiry, keep a copy (promote), the poster, MP4 export and "last 30 s" of a live recording.

Each control is shown only when studio/config.json's ``features`` says the API has its route; the
server derives those flags from its route table, and these tests check both sides of that.
Every test checks the page stayed clean (no console or page errors, no failed requests, no HTTP
errors other than the ones it provokes).
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from devserver.routes import ROUTES
from devserver.studio import studio_features
from tests.browser.conftest import LIVE_CHANNEL, LIVE_PREFIX, SAMPLE_PREFIX, PageWatch, Stack
from tests.browser.test_studio import open_studio, select_sample, wait_playing

MASTER = f"{SAMPLE_PREFIX}/media/hls/master.m3u8"
MP4_ROUTE = "POST /clips/{clip_id}/mp4"


def make_clip(stack: Stack, start: float, end: float, title: str, **extra: object) -> dict:
    """A clip made straight through the API (each test its own window: the id derives from it)."""
    status, clip = stack.api_json(
        "POST",
        "/clipmanifest",
        {"master_url": f"{stack.api}/media/{MASTER}", "start_time": start, "end_time": end, "title": title, **extra},
    )
    assert status == 201, clip
    return clip


def clip_item(page: Page, title: str):
    item = page.get_by_test_id("clip-item").filter(has_text=title)
    expect(item).to_have_count(1)
    return item


def utc_text(iso: str) -> str:
    """The studio's format of an instant: "2024-05-06 07:08:09 UTC"."""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def test_config_announces_the_features_of_the_route_table(stack: Stack) -> None:
    with urllib.request.urlopen(f"{stack.url}/studio/config.json", timeout=10) as response:
        config = json.loads(response.read())
    assert config["features"] == studio_features(ROUTES)
    # The lifecycle routes are in the local table, so their flags are on.
    for flag in ("clipDetails", "deleteClip", "promoteClip", "clipExpiry", "liveLast30"):
        assert config["features"][flag] is True, flag
    assert config["features"]["mp4Download"] is (MP4_ROUTE in ROUTES)


def test_controls_follow_the_flags(page: Page, stack: Stack) -> None:
    """With every flag off (an API without the routes), none of the later controls is rendered."""
    make_clip(stack, 1, 2, "Flags off")
    config = {
        "apiUrl": stack.api,
        "mediaUrl": f"{stack.api}/media",
        "features": dict.fromkeys(studio_features(ROUTES), False),
    }
    page.route(
        "**/studio/config.json",
        lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(config)),
    )
    open_studio(page, stack)
    expect(clip_item(page, "Flags off")).to_be_visible()
    for testid in ("clip-delete", "clip-promote", "clip-mp4", "clip-details", "clip-mp4-rendition"):
        expect(page.get_by_test_id(testid)).to_have_count(0)
    page.get_by_test_id("recording-item").filter(has_text=LIVE_CHANNEL).click()
    expect(page.get_by_test_id("clip-expiry")).to_be_hidden()
    expect(page.get_by_test_id("last-30")).to_be_hidden()
    page.watch.assert_clean()


def test_mp4_control_is_shown_only_with_its_route(page: Page, stack: Stack) -> None:
    make_clip(stack, 2, 3, "MP4 flag")
    open_studio(page, stack)
    expect(clip_item(page, "MP4 flag").get_by_test_id("clip-mp4")).to_have_count(1 if MP4_ROUTE in ROUTES else 0)
    page.watch.assert_clean()


def test_poster_loads_and_details_come_from_get(page: Page, stack: Stack) -> None:
    clip = make_clip(stack, 26, 28, "Details of me")
    open_studio(page, stack)
    item = clip_item(page, "Details of me")
    poster = item.get_by_test_id("clip-poster")
    expect(poster).to_have_attribute("src", clip["thumbnail_url"])
    page.wait_for_function(
        "(id) => { const i = document.querySelector(`[data-clip-id='${id}'] [data-testid=clip-poster]`);"
        " return i && i.complete && i.naturalWidth > 0 }",
        arg=clip["clip_id"],
    )
    with page.expect_response(
        lambda r: r.url.endswith(f"/clips/{clip['clip_id']}") and r.request.method == "GET"
    ) as got:
        item.get_by_test_id("clip-details").click()
    assert got.value.status == 200
    view = item.get_by_test_id("clip-details-view")
    expect(view).to_be_visible()
    status, doc = stack.api_json("GET", f"/clips/{clip['clip_id']}")
    assert status == 200
    expect(view.locator("[data-field=clip-id]")).to_have_text(doc["clip_id"])
    expect(view.locator("[data-field=owned]")).to_contain_text("no")
    expect(view.locator("[data-field=expires]")).to_have_text("never")
    expect(view.locator("[data-field=renditions]")).to_contain_text(doc["renditions"][0]["name"])
    # Clicking inside the item's controls does not start playback.
    expect(page.get_by_test_id("clip-player")).to_be_hidden()
    item.get_by_test_id("clip-details").click()
    expect(view).to_have_count(0)
    page.watch.assert_clean()


def test_delete_asks_first_then_removes_the_clip(page: Page, stack: Stack) -> None:
    clip = make_clip(stack, 28, 30, "Delete me")
    open_studio(page, stack)
    item = clip_item(page, "Delete me")
    item.locator(".item-title").click()  # playing it: deleting it also stops the clip player
    expect(page.get_by_test_id("clip-player")).to_be_visible()
    deletes: list[str] = []
    page.on("request", lambda r: r.method == "DELETE" and deletes.append(r.url))

    item.get_by_test_id("clip-delete").click()
    expect(item.get_by_test_id("clip-delete-confirm")).to_be_visible()
    expect(item.get_by_test_id("clip-delete-confirm")).to_be_focused()
    item.get_by_test_id("clip-delete-cancel").click()
    expect(item.get_by_test_id("clip-delete-confirm")).to_have_count(0)
    assert deletes == []  # nothing is sent before the confirmation

    item.get_by_test_id("clip-delete").click()
    with page.expect_response(lambda r: r.request.method == "DELETE") as answered:
        item.get_by_test_id("clip-delete-confirm").click()
    assert answered.value.status == 204
    assert answered.value.url == f"{stack.api}/clips/{clip['clip_id']}"
    expect(page.get_by_test_id("clip-item").filter(has_text="Delete me")).to_have_count(0)
    expect(page.get_by_test_id("clip-player")).to_be_hidden()
    expect(page.locator("#app-status")).to_have_text("Clip “Delete me” deleted.")
    status, body = stack.api_json("GET", f"/clips/{clip['clip_id']}")
    assert status == 404, body
    page.get_by_role("button", name="Refresh the clips").click()
    expect(page.locator("#clips-loading")).to_be_hidden()
    expect(page.get_by_test_id("clip-item").filter(has_text="Delete me")).to_have_count(0)
    page.watch.assert_clean()


def test_delete_of_a_clip_already_gone_shows_the_api_error(page: Page, stack: Stack) -> None:
    clip = make_clip(stack, 30, 31, "Gone already")
    open_studio(page, stack)
    item = clip_item(page, "Gone already")
    status, _ = stack.api_json("DELETE", f"/clips/{clip['clip_id']}")  # behind the page's back
    assert status == 204
    item.get_by_test_id("clip-delete").click()
    with page.expect_response(lambda r: r.request.method == "DELETE") as answered:
        item.get_by_test_id("clip-delete-confirm").click()
    assert answered.value.status == 404
    api_error = answered.value.json()["error"]
    assert api_error
    expect(item.get_by_test_id("clip-error")).to_have_text(api_error)
    expect(item.get_by_test_id("clip-delete")).to_be_enabled()
    page.watch.assert_clean(allowed_statuses={(404, f"/clips/{clip['clip_id']}")})


def test_expiry_is_sent_as_iso_utc_and_listed(page: Page, stack: Stack) -> None:
    open_studio(page, stack)
    select_sample(page)
    expiry = page.get_by_test_id("clip-expiry")
    expect(expiry).to_be_visible()
    expect(page.get_by_label("Expires", exact=True)).to_have_value("")
    page.get_by_label("In (s)").fill("14")
    page.get_by_label("Out (s)").fill("16")
    page.get_by_test_id("clip-title").fill("Expires in a week")
    expiry.select_option("7")
    asked = datetime.now(UTC)
    with page.expect_request(lambda r: r.url.endswith("/clipmanifest") and r.method == "POST") as posted:
        page.get_by_test_id("create-clip").click()
    body = json.loads(posted.value.post_data)
    assert set(body) == {"master_url", "start_time", "end_time", "title", "expires_at"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["expires_at"]), body["expires_at"]
    sent = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert abs(sent - (asked + timedelta(days=7))) < timedelta(minutes=1), (sent, asked)
    response = posted.value.response()
    assert response.status == 201
    answer = response.json()
    assert datetime.fromisoformat(answer["expires_at"].replace("Z", "+00:00")) == sent
    expect(page.locator("#clip-result [data-field=expires]")).to_have_text(utc_text(answer["expires_at"]))
    item = clip_item(page, "Expires in a week")
    expect(item.get_by_test_id("clip-expires")).to_have_text(f"expires {utc_text(answer['expires_at'])}")
    status, doc = stack.api_json("GET", f"/clips/{answer['clip_id']}")
    assert status == 200 and doc["expires_at"] == answer["expires_at"]

    # A chosen date and time (the viewer's local time) goes out as the same instant in UTC.
    page.get_by_label("In (s)").fill("16")
    page.get_by_label("Out (s)").fill("18")
    page.get_by_test_id("clip-title").fill("Expires in 2031")
    expiry.select_option("custom")
    at = page.get_by_label("Expires at (your local time)")
    expect(at).to_be_visible()
    at.fill("2031-02-03T04:05")
    expected = page.evaluate("() => new Date('2031-02-03T04:05').toISOString()")
    with page.expect_request(lambda r: r.url.endswith("/clipmanifest") and r.method == "POST") as posted:
        page.get_by_test_id("create-clip").click()
    assert json.loads(posted.value.post_data)["expires_at"] == expected
    assert posted.value.response().status == 201
    expect(clip_item(page, "Expires in 2031").get_by_test_id("clip-expires")).to_have_text(
        f"expires {utc_text(expected)}"
    )

    # A past one is refused before asking the API; "Never" sends no expires_at at all.
    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    at.fill("2001-01-01T00:00")
    page.get_by_test_id("create-clip").click()
    expect(page.locator("#clip-error")).to_have_text("The expiry must be in the future.")
    assert posts == []
    expiry.select_option("")
    expect(at).to_be_hidden()
    page.get_by_label("In (s)").fill("18")
    page.get_by_label("Out (s)").fill("19")
    page.get_by_test_id("clip-title").fill("Forever clip")
    with page.expect_request(lambda r: r.url.endswith("/clipmanifest") and r.method == "POST") as posted:
        page.get_by_test_id("create-clip").click()
    assert "expires_at" not in json.loads(posted.value.post_data)
    expect(clip_item(page, "Forever clip").get_by_test_id("clip-expires")).to_have_text("never expires")
    page.watch.assert_clean()


def test_keep_a_copy_shows_owned_and_the_clip_keeps_playing(page: Page, stack: Stack) -> None:
    clip = make_clip(stack, 32, 34, "Keep me")
    open_studio(page, stack)
    item = clip_item(page, "Keep me")
    expect(item.get_by_test_id("clip-owned")).to_have_count(0)
    with page.expect_response(lambda r: r.url.endswith(f"/clips/{clip['clip_id']}/promote")) as answered:
        item.get_by_test_id("clip-promote").click()
    assert answered.value.status == 200
    assert answered.value.request.method == "POST"
    expect(item.get_by_test_id("clip-owned")).to_have_text("owned")
    expect(item.get_by_test_id("clip-promote")).to_have_count(0)  # nothing more to keep
    status, doc = stack.api_json("GET", f"/clips/{clip['clip_id']}")
    assert status == 200 and doc["owned"] is True
    # The poster is now the clip's own copy, and it loads.
    assert doc["thumbnail_url"].endswith(f"/clips/{clip['clip_id']}/poster.jpg")
    expect(item.get_by_test_id("clip-poster")).to_have_attribute("src", doc["thumbnail_url"])
    page.wait_for_function(
        "(id) => { const i = document.querySelector(`[data-clip-id='${id}'] [data-testid=clip-poster]`);"
        " return i && i.complete && i.naturalWidth > 0 }",
        arg=clip["clip_id"],
    )
    # Still listed as owned after a reload, and it plays from its own playlists.
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    item = clip_item(page, "Keep me")
    expect(item.get_by_test_id("clip-owned")).to_be_visible()
    item.locator(".item-title").click()
    wait_playing(page, "clip-player", clip["start_offset"] + 0.2)
    page.watch.assert_clean()


@pytest.mark.skipif(MP4_ROUTE not in ROUTES, reason=f"{MP4_ROUTE} is not in the route table yet")
def test_mp4_export_polls_until_a_download_link(page: Page, stack: Stack) -> None:
    clip = make_clip(stack, 10, 13, "MP4 me")
    open_studio(page, stack)
    item = clip_item(page, "MP4 me")
    rendition = clip["renditions"][-1]["name"]  # not the default (the highest-bandwidth one)
    item.get_by_test_id("clip-mp4-rendition").select_option(rendition)
    polls: list[str] = []
    page.on(
        "request", lambda r: r.method == "GET" and r.url.endswith(f"/clips/{clip['clip_id']}") and polls.append(r.url)
    )
    with page.expect_request(lambda r: r.url.endswith(f"/clips/{clip['clip_id']}/mp4")) as posted:
        item.get_by_test_id("clip-mp4").click()
    assert posted.value.method == "POST"
    assert json.loads(posted.value.post_data) == {"rendition": rendition}
    answer = posted.value.response()
    assert answer.status == 202, answer.text()
    assert answer.json()["mp4"]["status"] in ("pending", "ready")
    link = item.get_by_test_id("clip-mp4-link")
    expect(link).to_be_visible(timeout=90_000)
    assert polls, "the page never polled GET /clips/{id}"
    status, doc = stack.api_json("GET", f"/clips/{clip['clip_id']}")
    assert status == 200 and doc["mp4"]["status"] == "ready", doc.get("mp4")
    assert doc["mp4"]["rendition"] == rendition
    expect(link).to_have_attribute("href", doc["mp4"]["url"])
    # The file at the link: served as video/mp4, not empty, as long as the clip's requested window.
    served = page.evaluate(
        """async (url) => { const r = await fetch(url); const b = await r.blob();
            return {status: r.status, type: r.headers.get('content-type'), size: b.size} }""",
        doc["mp4"]["url"],
    )
    assert served["status"] == 200 and served["type"].startswith("video/mp4") and served["size"] > 0, served
    length = page.evaluate(
        """(url) => new Promise((resolve, reject) => { const v = document.createElement('video');
            v.muted = true; v.preload = 'metadata';
            v.onloadedmetadata = () => resolve(v.duration); v.onerror = () => reject(new Error('no metadata'));
            v.src = url; })""",
        doc["mp4"]["url"],
    )
    wanted = clip["requested"]["end_seconds"] - clip["requested"]["start_seconds"]
    assert abs(length - wanted) < 0.25, (length, wanted)
    page.watch.assert_clean()


def test_last_30_seconds_of_a_live_recording(page: Page, stack: Stack) -> None:
    # The live copy really is still being written: no ENDLIST in any of its playlists.
    for name in ("360p30/playlist.m3u8", "160p30/byte-range-variant.m3u8"):
        with urllib.request.urlopen(f"{stack.url}/media/{LIVE_PREFIX}/media/hls/{name}", timeout=10) as response:
            assert "#EXT-X-ENDLIST" not in response.read().decode()
    open_studio(page, stack)
    select_sample(page)
    expect(page.get_by_test_id("last-30")).to_be_hidden()  # the ended sample: a window, not "last 30 s"
    live = page.get_by_test_id("recording-item").filter(has_text=LIVE_CHANNEL)
    live.click()
    expect(live).to_have_class("item recording selected")
    recording = page.evaluate("() => window.__studio.state.selected")
    assert recording["status"] == "recording"
    button = page.get_by_test_id("last-30")
    expect(button).to_be_visible()
    expect(button).to_have_accessible_name("Clip the last 30 seconds of the live recording")
    with page.expect_request(lambda r: r.url.endswith("/clipmanifest") and r.method == "POST") as posted:
        button.click()
    assert json.loads(posted.value.post_data) == {"master_url": recording["url"], "last_seconds": 30}
    response = posted.value.response()
    assert response.status == 201, response.text()
    answer = response.json()
    requested = answer["requested"]
    assert abs(requested["end_seconds"] - requested["start_seconds"] - 30) < 0.01, requested
    expect(page.locator("#clip-result")).to_be_visible()
    expect(page.locator("#clip-result [data-field=requested]")).to_have_text(
        f"{requested['start_seconds']:.3f} – {requested['end_seconds']:.3f} s"
    )
    item = page.locator(f"[data-testid=clip-item][data-clip-id='{answer['clip_id']}']")
    expect(item).to_contain_text(answer["recording"]["id"])
    expect(button).to_be_enabled()
    expect(button).to_have_text("Clip last 30 s")
    wait_playing(page, "clip-player", answer["start_offset"] + 0.2)
    page.watch.assert_clean()


def test_lifecycle_controls_fit_a_phone(browser, stack: Stack) -> None:
    make_clip(stack, 34, 36, "Phone controls")
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        watch = PageWatch(page)
        open_studio(page, stack)
        item = clip_item(page, "Phone controls")
        testids = ["clip-poster", "clip-details", "clip-promote", "clip-delete"]
        if MP4_ROUTE in ROUTES:
            testids += ["clip-mp4-rendition", "clip-mp4"]
        for testid in testids:
            locator = item.get_by_test_id(testid)
            locator.scroll_into_view_if_needed()
            expect(locator).to_be_visible()
            box = locator.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, (testid, box)
        item.get_by_test_id("clip-delete").tap()
        confirm = item.get_by_test_id("clip-delete-confirm")
        expect(confirm).to_be_visible()
        box = confirm.bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390 + 0.5, box
        item.get_by_test_id("clip-delete-cancel").tap()
        page.get_by_test_id("recording-item").filter(has_text=LIVE_CHANNEL).tap()
        for locator in (page.get_by_test_id("clip-expiry"), page.get_by_test_id("last-30")):
            locator.scroll_into_view_if_needed()
            expect(locator).to_be_visible()
            box = locator.bounding_box()
            assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 0.5, box
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], widths
        watch.assert_clean()
    finally:
        context.close()

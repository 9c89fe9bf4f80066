// The clip studio: list recordings, play one, mark in/out, make a clip, list and play clips.
// Plain ES modules, no build step. Config comes from studio/config.json (written by the server).

import { Api, ApiError } from "./api.js";
import { ClipList } from "./clips.js";
import { el } from "./dom.js";
import { features } from "./features.js";
import { byteRangeMaster, duration, expiresAt, instant, localInputValue, seconds } from "./format.js";
import { HlsPlayer } from "./player.js";

// Items per listing page; `?limit=N` on the page's URL overrides it (1–200, as the API allows).
const PAGE_SIZE = (() => {
  const asked = Number(new URLSearchParams(location.search).get("limit"));
  return Number.isInteger(asked) && asked >= 1 && asked <= 200 ? asked : 20;
})();
const $ = (id) => document.getElementById(id);

const state = {
  config: null,
  api: null,
  flags: features(null),
  recordings: [],
  recordingsCursor: null,
  channel: "",
  selected: null, // the selected recording
  marks: { in: null, out: null }, // seconds relative to the recording's start
  clips: [],
  clipsCursor: null,
  clipsScope: "all",
  playingClip: null,
  lastClip: null,
};

const player = new HlsPlayer($("player"), {
  onError: (message) => showError("player-error", message),
});
const clipPlayer = new HlsPlayer($("clip-player"), {
  onError: (message) => showError("clip-player-error", message),
  onLevels: (levels) => renderRenditions(levels),
});

// For tests and debugging: the live hls.js instances and the page state.
window.__studio = {
  state,
  player,
  clipPlayer,
  get hls() {
    return player.hls;
  },
  get clipHls() {
    return clipPlayer.hls;
  },
};

// ---------- small DOM helpers ----------

function showError(id, message) {
  const node = $(id);
  node.textContent = message;
  node.hidden = !message;
}

function clearError(id) {
  showError(id, "");
}

function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  return `Unexpected problem: ${error?.message || error}`;
}

function setBusy(listId, loadingId, busy) {
  $(listId).setAttribute("aria-busy", busy ? "true" : "false");
  $(loadingId).hidden = !busy;
}

function status(message) {
  $("app-status").textContent = message;
}

// ---------- config ----------

async function loadConfig() {
  let config = {};
  try {
    const response = await fetch("studio/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`studio/config.json answered ${response.status}`);
    config = await response.json();
  } catch (error) {
    status(`Could not read studio/config.json (${error.message}); using this page's origin for the API.`);
  }
  const apiUrl = config.apiUrl || location.origin;
  state.config = { ...config, apiUrl };
  state.api = new Api(apiUrl);
  state.flags = features(config);
  $("expiry-field").hidden = !state.flags.clipExpiry;
}

// ---------- recordings ----------

async function loadRecordings({ append = false } = {}) {
  clearError("recordings-error");
  setBusy("recordings-list", "recordings-loading", true);
  $("recordings-more").disabled = true;
  try {
    const page = await state.api.recordings({
      channel: state.channel,
      limit: PAGE_SIZE,
      cursor: append ? state.recordingsCursor : undefined,
    });
    state.recordings = append ? state.recordings.concat(page.recordings) : page.recordings;
    state.recordingsCursor = page.next_cursor;
    renderRecordings();
  } catch (error) {
    showError("recordings-error", messageOf(error));
  } finally {
    setBusy("recordings-list", "recordings-loading", false);
    $("recordings-more").disabled = false;
  }
}

/** Where a recording comes from: its channel (low latency) or its stage (IVS Real-Time). */
function sourceName(recording) {
  return recording.channel_id ?? (recording.stage_id ? `stage ${recording.stage_id}` : recording.kind ?? "recording");
}

function renderRecordings() {
  const list = $("recordings-list");
  list.replaceChildren(...state.recordings.map(recordingItem));
  $("recordings-empty").hidden = state.recordings.length > 0;
  $("recordings-more").hidden = !state.recordingsCursor;
  const channels = [...new Set(state.recordings.map((r) => r.channel_id).filter(Boolean))].sort();
  $("channel-options").replaceChildren(...channels.map((c) => el("option", { value: c })));
}

function recordingItem(recording) {
  const live = recording.status === "recording";
  const selected = state.selected?.key === recording.key;
  const thumb = recording.thumbnail_url
    ? el("img", { src: recording.thumbnail_url, alt: "", loading: "lazy", width: 80, height: 45, onerror: (e) => e.target.replaceWith(el("span", { class: "thumb placeholder", "aria-hidden": "true" })) })
    : el("span", { class: "thumb placeholder", "aria-hidden": "true" });
  if (thumb.tagName === "IMG") thumb.className = "thumb";
  const item = el(
    "li",
    { class: `item recording${selected ? " selected" : ""}`, "data-testid": "recording-item", dataset: { key: recording.key } },
    thumb,
    el(
      "div",
      { class: "item-body" },
      el(
        "button",
        { type: "button", class: "item-title", "aria-label": `Play recording ${recording.recording_id} of ${sourceName(recording)}`, "aria-pressed": selected ? "true" : "false" },
        sourceName(recording),
      ),
      el("span", { class: "meta" }, instant(recording.started_at)),
      el(
        "span",
        { class: "meta" },
        `${recording.recording_id} · `,
        live ? "live" : duration(recording.duration),
        " · ",
        el("span", { class: `badge status-${recording.status}`, text: live ? "LIVE" : recording.status }),
      ),
    ),
  );
  item.addEventListener("click", () => selectRecording(recording));
  return item;
}

function selectRecording(recording) {
  state.selected = recording;
  state.marks = { in: null, out: null };
  state.lastClip = null;
  $("in-time").value = "";
  $("out-time").value = "";
  $("clip-result").hidden = true;
  clearError("clip-error");
  clearError("player-error");
  $("editor-hint").hidden = true;
  $("editor-body").hidden = false;
  const live = recording.status === "recording";
  $("recording-title").textContent =
    `${sourceName(recording)} · ${instant(recording.started_at)} · ${live ? "live" : duration(recording.duration)} · ${recording.recording_id}`;
  $("byte-range-field").hidden = !recording.byte_range;
  $("clip-byte-range").checked = false;
  renderRecordingActions(live);
  const url = recording.byte_range ? byteRangeMaster(recording.url) : recording.url;
  player.load(url);
  // One column (phones): the player is below the list, so bring it into view.
  if (window.matchMedia("(max-width: 999px)").matches) $("editor-heading").scrollIntoView({ block: "start" });
  renderRecordings();
  renderMarks();
  const scopeOption = $("clips-scope").querySelector('option[value="recording"]');
  scopeOption.disabled = false;
  if (state.clipsScope === "recording") loadClips();
}

function renderRecordingActions(live) {
  // "Clip last 30 s": only for a recording still being written, and only when the API takes last_seconds.
  $("last-30").hidden = !(live && state.flags.liveLast30);
}

// ---------- player, timeline and marks ----------

const video = $("player");

function currentSeconds() {
  return player.toRecordingSeconds(video.currentTime);
}

function seekTo(mediaTime) {
  const end = Number.isFinite(video.duration) ? video.duration : Infinity;
  video.currentTime = Math.max(0, Math.min(mediaTime, end));
}

function togglePlay() {
  if (!state.selected) return;
  if (video.paused || video.ended) {
    player.play();
  } else {
    video.pause();
  }
}

function stepFrames(count) {
  video.pause();
  seekTo(video.currentTime + count / player.fps());
}

function mark(which) {
  if (!state.selected) return;
  const value = Math.round(currentSeconds() * 1000) / 1000;
  state.marks[which] = value;
  $(which === "in" ? "in-time" : "out-time").value = value.toFixed(3);
  renderMarks();
}

function readMark(which) {
  const raw = $(which === "in" ? "in-time" : "out-time").value.trim();
  const value = raw === "" ? null : Number(raw);
  state.marks[which] = Number.isFinite(value) ? value : null;
  renderMarks();
}

function renderMarks() {
  const { in: start, out: end } = state.marks;
  const length = $("mark-length");
  if (start !== null && end !== null) {
    length.textContent = end > start ? `Clip length ${seconds(end - start)} s` : "Out must be after in.";
    length.classList.toggle("warn", !(end > start));
  } else {
    length.textContent = "";
  }
  renderTimeline();
}

function renderTimeline() {
  const total = Number.isFinite(video.duration) && video.duration > 0 ? video.duration : 0;
  const seek = $("seek");
  seek.max = String(total);
  if (document.activeElement !== seek) seek.value = String(video.currentTime || 0);
  $("time-display").textContent = `${seconds(currentSeconds())} / ${seconds(total ? player.toRecordingSeconds(total) : 0)} s`;
  const pct = (t) => `${total ? Math.max(0, Math.min(100, (player.toMediaTime(t) / total) * 100)) : 0}%`;
  const { in: start, out: end } = state.marks;
  const inNode = $("timeline-in");
  const outNode = $("timeline-out");
  const range = $("timeline-range");
  inNode.hidden = start === null || !total;
  outNode.hidden = end === null || !total;
  if (start !== null) inNode.style.left = pct(start);
  if (end !== null) outNode.style.left = pct(end);
  range.hidden = start === null || end === null || !total || !(end > start);
  if (!range.hidden) {
    range.style.left = pct(start);
    range.style.width = `calc(${pct(end)} - ${pct(start)})`;
  }
  let buffered = 0;
  for (let i = 0; i < video.buffered.length; i += 1) {
    if (video.buffered.start(i) <= video.currentTime + 0.5) buffered = Math.max(buffered, video.buffered.end(i));
  }
  $("timeline-buffer").style.width = `${total ? (buffered / total) * 100 : 0}%`;
  $("play-toggle").textContent = video.paused ? "▶" : "❚❚";
  $("play-toggle").setAttribute("aria-label", video.paused ? "Play" : "Pause");
}

for (const name of ["timeupdate", "durationchange", "progress", "play", "pause", "seeked", "loadedmetadata"]) {
  video.addEventListener(name, renderTimeline);
}
video.addEventListener("click", togglePlay);
$("seek").addEventListener("input", (event) => seekTo(Number(event.target.value)));
$("play-toggle").addEventListener("click", togglePlay);
$("step-back").addEventListener("click", () => seekTo(video.currentTime - 1));
$("step-forward").addEventListener("click", () => seekTo(video.currentTime + 1));
$("frame-back").addEventListener("click", () => stepFrames(-1));
$("frame-forward").addEventListener("click", () => stepFrames(1));
$("mark-in").addEventListener("click", () => mark("in"));
$("mark-out").addEventListener("click", () => mark("out"));
$("in-time").addEventListener("input", () => readMark("in"));
$("out-time").addEventListener("input", () => readMark("out"));

const TEXT_INPUTS = new Set(["text", "number", "search", "url", "email", "password", "tel", "datetime-local"]);

function typingIn(target) {
  if (!target || !(target instanceof Element)) return false;
  if (target.isContentEditable || target.closest("select, textarea")) return true;
  return target.tagName === "INPUT" && TEXT_INPUTS.has(target.type);
}

document.addEventListener("keydown", (event) => {
  if (!state.selected || event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
  const target = event.target instanceof Element ? event.target : null;
  // Space activates a focused button or the clip player's own controls; leave those alone.
  if (event.key === " " && target?.closest("button, a, summary, #clip-view")) return;
  if (target?.closest("#clip-view")) return;
  const actions = {
    " ": togglePlay,
    ArrowLeft: () => seekTo(video.currentTime - 1),
    ArrowRight: () => seekTo(video.currentTime + 1),
    ",": () => stepFrames(-1),
    ".": () => stepFrames(1),
    i: () => mark("in"),
    I: () => mark("in"),
    o: () => mark("out"),
    O: () => mark("out"),
  };
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

// ---------- making a clip ----------

$("clip-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  clearError("clip-error");
  const recording = state.selected;
  if (!recording) return;
  readMark("in");
  readMark("out");
  const { in: start, out: end } = state.marks;
  if (start === null || end === null) {
    showError("clip-error", "Mark the in and the out of the clip first (buttons, i / o, or type the times in seconds).");
    return;
  }
  if (!(end > start)) {
    showError("clip-error", `The out (${seconds(end)} s) must be after the in (${seconds(start)} s).`);
    return;
  }
  await makeClip($("create-clip"), "Creating…", { start, end });
});

/** The form's expiry as the API's `expires_at` (undefined: none asked); shows the problem and throws on a bad one. */
function formExpiry() {
  if (!state.flags.clipExpiry) return undefined;
  return expiresAt($("clip-expiry").value, $("clip-expiry-at").value);
}

/** POST /clipmanifest for the selected recording with the form's title, cut and expiry; `window` is {start, end} or {lastSeconds}. */
async function makeClip(button, busyText, window) {
  const recording = state.selected;
  let expires;
  try {
    expires = formExpiry();
  } catch (error) {
    showError("clip-error", error.message);
    return;
  }
  const idleText = button.textContent;
  const buttons = [$("create-clip"), $("last-30")];
  buttons.forEach((b) => { b.disabled = true; });
  button.textContent = busyText;
  button.setAttribute("aria-busy", "true");
  try {
    const title = $("clip-title").value.trim() || undefined;
    const { clip, created } = await state.api.createClip({
      masterUrl: recording.url,
      ...window,
      title,
      byteRange: recording.byte_range && $("clip-byte-range").checked,
      expiresAt: expires,
    });
    state.lastClip = clip;
    renderClipResult(clip, created, title);
    status(created ? `Clip ${clip.title ? `“${clip.title}” ` : ""}made.` : "That clip already existed.");
    playClip(clip);
    await loadClips();
  } catch (error) {
    showError("clip-error", messageOf(error));
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    button.textContent = idleText;
    button.removeAttribute("aria-busy");
  }
}

$("last-30").addEventListener("click", () => {
  clearError("clip-error");
  if (state.selected) makeClip($("last-30"), "Clipping…", { lastSeconds: 30 });
});

$("clip-expiry").addEventListener("change", (event) => {
  const custom = event.target.value === "custom";
  const input = $("clip-expiry-at");
  input.hidden = !custom;
  if (custom) {
    const soon = new Date(Date.now() + 60 * 60_000);
    input.min = localInputValue(new Date());
    if (!input.value) input.value = localInputValue(soon);
    input.focus();
  }
});

function renderClipResult(clip, created, askedTitle) {
  const requested = clip.requested || {};
  $("result-heading").textContent = created ? "New clip" : "Existing clip";
  const note = $("clip-note");
  // A clip is identified by its recording, window and options (not its title): asking again
  // returns the clip made first, with its title.
  note.textContent = created
    ? ""
    : `A clip of this window already existed, so nothing new was made${askedTitle && askedTitle !== clip.title ? `; it keeps its title “${clip.title || "(untitled)"}”` : ""}.`;
  note.hidden = created;
  const rows = [
    ["Title", clip.title || "(untitled)"],
    ["Requested", `${seconds(requested.start_seconds)} – ${seconds(requested.end_seconds)} s`],
    ["Actual", `${seconds(clip.start_seconds)} – ${seconds(clip.end_seconds)} s (whole segments, ${seconds(clip.duration)} s)`],
    ["Starts at", `${seconds(clip.start_offset)} s into the clip`],
    ...("expires_at" in clip ? [["Expires", clip.expires_at ? instant(clip.expires_at) : "never"]] : []),
  ];
  $("clip-edges").replaceChildren(...rows.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value, dataset: { field: name.toLowerCase().replace(/ /g, "-") } })]));
  $("clip-result").hidden = false;
}

// ---------- clips ----------

async function loadClips({ append = false } = {}) {
  clearError("clips-error");
  setBusy("clips-list", "clips-loading", true);
  $("clips-more").disabled = true;
  try {
    const recording = state.clipsScope === "recording" && state.selected ? state.selected.key : undefined;
    const page = await state.api.clips({ recording, limit: PAGE_SIZE, cursor: append ? state.clipsCursor : undefined });
    state.clips = append ? state.clips.concat(page.clips) : page.clips;
    state.clipsCursor = page.next_cursor;
    renderClips();
  } catch (error) {
    showError("clips-error", messageOf(error));
  } finally {
    setBusy("clips-list", "clips-loading", false);
    $("clips-more").disabled = false;
  }
}

function clipUrl(clip) {
  return clip.url || clip.clip_url;
}

const clipList = new ClipList({
  list: $("clips-list"),
  getApi: () => state.api,
  getFlags: () => state.flags,
  playingId: () => state.playingClip?.clip_id,
  onPlay: (clip) => playClip(clip),
  onCopy: (url) => copyLink(url),
  onRemoved: (clip) => clipRemoved(clip),
  status,
});
window.__studio.clipList = clipList;

function renderClips() {
  clipList.set(state.clips);
  $("clips-empty").hidden = state.clips.length > 0;
  $("clips-more").hidden = !state.clipsCursor;
}

/** A deleted clip: out of the list, out of the player and the result if it was there. */
function clipRemoved(clip) {
  state.clips = state.clips.filter((c) => c.clip_id !== clip.clip_id);
  $("clips-empty").hidden = state.clips.length > 0;
  if (state.playingClip?.clip_id === clip.clip_id) {
    state.playingClip = null;
    clipPlayer.destroy();
    $("clip-view").hidden = true;
  }
  if (state.lastClip?.clip_id === clip.clip_id) {
    state.lastClip = null;
    $("clip-result").hidden = true;
  }
}

function playClip(clip) {
  state.playingClip = clip;
  clearError("clip-player-error");
  $("clip-view").hidden = false;
  $("clip-view-title").textContent = `${clip.title || "(untitled)"} · ${seconds(clip.duration)} s`;
  $("clip-link").value = clipUrl(clip);
  $("copy-status").textContent = "";
  $("clip-renditions").replaceChildren();
  clipPlayer.load(clipUrl(clip), { autoplay: true });
  clipList.render();
}

function renderRenditions(levels) {
  const box = $("clip-renditions");
  if (levels.length < 2) {
    box.replaceChildren();
    return;
  }
  box.replaceChildren(
    el("span", { class: "meta", text: "Rendition:" }),
    ...levels.map((level) =>
      el("button", { type: "button", class: `small${level.active ? " active" : ""}`, "aria-pressed": level.active ? "true" : "false", onclick: () => clipPlayer.setLevel(level.index) }, level.name),
    ),
  );
}

async function copyLink(url) {
  const node = $("copy-status");
  try {
    await navigator.clipboard.writeText(url);
    node.textContent = "Link copied.";
  } catch {
    const input = $("clip-link");
    if (!$("clip-view").hidden && input.value === url) {
      input.select();
      node.textContent = "Copying is blocked here: the link is selected, press Ctrl+C (⌘C).";
    } else {
      node.textContent = `Copying is blocked here. The link: ${url}`;
    }
  }
}

$("clip-copy").addEventListener("click", () => copyLink($("clip-link").value));
$("clips-scope").addEventListener("change", (event) => {
  state.clipsScope = event.target.value;
  loadClips();
});
$("clips-refresh").addEventListener("click", () => loadClips());
$("clips-more").addEventListener("click", () => loadClips({ append: true }));
$("recordings-refresh").addEventListener("click", () => loadRecordings());
$("recordings-more").addEventListener("click", () => loadRecordings({ append: true }));
$("recordings-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  state.channel = $("channel-filter").value.trim();
  loadRecordings();
});

// ---------- start ----------

async function start() {
  await loadConfig();
  await Promise.all([loadRecordings(), loadClips()]);
  document.body.dataset.ready = "true";
}

start();

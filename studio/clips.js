// The clip list: one item per clip (poster, window, expiry, owned) with its actions. Play and Copy
// link always; Details, Keep a copy, MP4 and Delete only when config.features says the API has
// their routes. Each item's transient state (confirming a delete, busy, MP4 export, details, the
// last error) lives here by clip id, so re-rendering the list never loses it.

import { ApiError } from "./api.js";
import { el } from "./dom.js";
import { bytes, expiry, instant, seconds } from "./format.js";

const POLL_MS = 1000;
const POLL_LIMIT_MS = 10 * 60_000;

function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  return `Unexpected problem: ${error?.message || error}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class ClipList {
  /**
   * `list`: the <ul>; `getApi`/`getFlags`: the current client and flags; `playingId()`: the clip
   * playing; `onPlay(clip)`, `onCopy(url)`, `onRemoved(clip)`, `status(text)`: the page's side.
   */
  constructor({ list, getApi, getFlags, playingId, onPlay, onCopy, onRemoved, status }) {
    Object.assign(this, { list, getApi, getFlags, playingId, onPlay, onCopy, onRemoved, status });
    this.clips = [];
    this.ui = new Map(); // clip id → {confirm, busy, error, details, detailsOpen, rendition, polling}
  }

  uiOf(id) {
    if (!this.ui.has(id)) this.ui.set(id, { confirm: false, busy: null, error: "", details: null, detailsOpen: false, rendition: "", polling: false });
    return this.ui.get(id);
  }

  set(clips) {
    this.clips = clips;
    this.render();
    for (const clip of clips) this.resumePolling(clip);
  }

  render() {
    this.list.replaceChildren(...this.clips.map((clip) => this.item(clip)));
  }

  /** Re-render one item in place (keeps the rest of the list, and its focus, as it was). */
  refresh(id) {
    const clip = this.clips.find((c) => c.clip_id === id);
    const node = this.list.querySelector(`[data-clip-id="${CSS.escape(id)}"]`);
    if (!clip || !node) return;
    const focused = document.activeElement && node.contains(document.activeElement) ? document.activeElement.dataset.testid : null;
    const fresh = this.item(clip);
    node.replaceWith(fresh);
    if (focused) fresh.querySelector(`[data-testid="${focused}"]`)?.focus();
  }

  /** Take the API's newer document of a clip (GET, promote, MP4), keeping the list's order. */
  update(doc) {
    const index = this.clips.findIndex((c) => c.clip_id === doc.clip_id);
    if (index < 0) return;
    this.clips[index] = { ...this.clips[index], ...doc };
    this.refresh(doc.clip_id);
  }

  has(id) {
    return this.clips.some((c) => c.clip_id === id);
  }

  item(clip) {
    const flags = this.getFlags();
    const ui = this.uiOf(clip.clip_id);
    const requested = clip.requested || {};
    const playing = this.playingId() === clip.clip_id;
    const title = clip.title || "(untitled)";
    const poster = clip.thumbnail_url
      ? el("img", {
          class: "poster",
          src: clip.thumbnail_url,
          alt: `Poster of clip ${title}`,
          loading: "lazy",
          width: 64,
          height: 36,
          "data-testid": "clip-poster",
          onerror: (e) => e.target.replaceWith(el("span", { class: "poster placeholder", "aria-hidden": "true" })),
        })
      : el("span", { class: "poster placeholder", "aria-hidden": "true" });
    const lifecycle = el(
      "span",
      { class: "meta" },
      "expires_at" in clip ? el("span", { "data-testid": "clip-expires", text: expiry(clip.expires_at) }) : null,
      clip.owned ? " · " : null,
      clip.owned ? el("span", { class: "badge owned", "data-testid": "clip-owned", title: "Its bytes are its own copy: it plays after the recording is gone", text: "owned" }) : null,
    );
    const body = el(
      "div",
      { class: "item-body" },
      el("button", { type: "button", class: "item-title", "aria-label": `Play clip ${title}`, "aria-pressed": playing ? "true" : "false", onclick: () => this.onPlay(clip) }, title),
      el("span", { class: "meta" }, `${clip.recording?.id || ""} · requested ${seconds(requested.start_seconds)}–${seconds(requested.end_seconds)} s`),
      el("span", { class: "meta" }, `${seconds(clip.duration)} s · made ${instant(clip.created_at || clip.created)}`),
      lifecycle.childNodes.length ? lifecycle : null,
    );
    const actions = el("div", { class: "item-actions", role: "group", "aria-label": `Actions of clip ${title}` }, ...this.buttons(clip, title, ui, flags));
    // Controls act on the clip; only a click elsewhere on the item plays it.
    actions.addEventListener("click", (e) => e.stopPropagation());
    const item = el(
      "li",
      { class: `item clip${playing ? " selected" : ""}`, "data-testid": "clip-item", dataset: { clipId: clip.clip_id }, "aria-busy": ui.busy ? "true" : "false" },
      poster,
      body,
      actions,
    );
    item.addEventListener("click", () => this.onPlay(clip));
    return item;
  }

  buttons(clip, title, ui, flags) {
    const busy = Boolean(ui.busy);
    const nodes = [];
    const row = el("div", { class: "action-row" });
    row.append(el("button", { type: "button", class: "small", "aria-label": `Copy the link of clip ${title}`, onclick: () => this.onCopy(clip.url || clip.clip_url) }, "Copy link"));
    if (flags.clipDetails) {
      row.append(
        el(
          "button",
          { type: "button", class: "small", "data-testid": "clip-details", "aria-expanded": ui.detailsOpen ? "true" : "false", "aria-label": `${ui.detailsOpen ? "Hide" : "Show"} the details of clip ${title}`, disabled: ui.busy === "details", onclick: () => this.toggleDetails(clip) },
          ui.busy === "details" ? "Loading…" : ui.detailsOpen ? "Hide details" : "Details",
        ),
      );
    }
    if (flags.promoteClip && !clip.owned) {
      row.append(
        el(
          "button",
          { type: "button", class: "small", "data-testid": "clip-promote", "aria-label": `Keep a copy of clip ${title} (its own bytes, independent of the recording)`, disabled: busy, "aria-busy": ui.busy === "promote" ? "true" : null, onclick: () => this.promote(clip) },
          ui.busy === "promote" ? "Copying…" : "Keep a copy",
        ),
      );
    }
    nodes.push(row);
    // Delete, set apart at the end of the last row (the MP4 row when there is one).
    const deleteButton =
      flags.deleteClip && !ui.confirm
        ? el("button", { type: "button", class: "small danger end", "data-testid": "clip-delete", "aria-label": `Delete clip ${title}`, disabled: busy, onclick: () => this.askDelete(clip) }, "Delete")
        : null;
    if (flags.deleteClip && ui.confirm) {
      nodes.push(
        el(
          "div",
          { class: "confirm", role: "group", "aria-label": `Confirm deleting clip ${title}` },
          el("span", { class: "meta", text: "Delete this clip for good?" }),
          el("button", { type: "button", class: "small danger", "data-testid": "clip-delete-confirm", "aria-label": `Yes, delete clip ${title}`, disabled: ui.busy === "delete", "aria-busy": ui.busy === "delete" ? "true" : null, onclick: () => this.remove(clip) }, ui.busy === "delete" ? "Deleting…" : "Delete"),
          el("button", { type: "button", class: "small", "data-testid": "clip-delete-cancel", disabled: ui.busy === "delete", onclick: () => this.cancelDelete(clip) }, "Cancel"),
        ),
      );
    }
    if (flags.mp4Download) {
      const mp4 = this.mp4Row(clip, title, ui);
      if (deleteButton) mp4.append(deleteButton);
      nodes.splice(1, 0, mp4);
    } else if (deleteButton) row.append(deleteButton);
    if (ui.error) nodes.push(el("p", { class: "error small-error", role: "alert", "data-testid": "clip-error", text: ui.error }));
    if (ui.detailsOpen && ui.details) nodes.push(details(ui.details));
    return nodes;
  }

  mp4Row(clip, title, ui) {
    const mp4 = clip.mp4 || null;
    const pending = ui.busy === "mp4" || mp4?.status === "pending";
    const select = el(
      "select",
      { class: "small", "aria-label": `MP4 rendition of clip ${title}`, "data-testid": "clip-mp4-rendition", disabled: pending, onchange: (e) => { ui.rendition = e.target.value; } },
      el("option", { value: "", text: "Default rendition" }),
      ...(clip.renditions || []).filter((r) => !r.kind || r.kind === "variant").map((r) => el("option", { value: r.name, text: r.name })),
    );
    select.value = ui.rendition;
    const row = el(
      "div",
      { class: "action-row mp4" },
      select,
      el("button", { type: "button", class: "small", "data-testid": "clip-mp4", "aria-label": `Make an MP4 of clip ${title}`, disabled: pending, "aria-busy": pending ? "true" : null, onclick: () => this.exportMp4(clip) }, pending ? "Making MP4…" : "MP4"),
    );
    if (pending) row.append(el("span", { class: "meta", role: "status", "data-testid": "clip-mp4-status", text: "MP4 pending…" }));
    else if (mp4?.status === "ready" && mp4.url) {
      const facts = [mp4.rendition, Number.isFinite(mp4.duration) ? `${seconds(mp4.duration)} s` : "", bytes(mp4.size)].filter(Boolean).join(", ");
      row.append(el("a", { href: mp4.url, download: "", class: "download", "data-testid": "clip-mp4-link", "aria-label": `Download the MP4 of clip ${title}` }, "Download MP4"));
      if (facts) row.append(el("span", { class: "meta", text: facts }));
    } else if (mp4?.status === "failed") {
      row.append(el("span", { class: "meta warn", role: "alert", "data-testid": "clip-mp4-status", text: `MP4 failed: ${mp4.error || "no reason given"}` }));
    }
    return row;
  }

  async run(clip, what, action) {
    const ui = this.uiOf(clip.clip_id);
    ui.busy = what;
    ui.error = "";
    this.refresh(clip.clip_id);
    try {
      return await action();
    } catch (error) {
      ui.error = messageOf(error);
      return undefined;
    } finally {
      ui.busy = null;
      this.refresh(clip.clip_id);
    }
  }

  async toggleDetails(clip) {
    const ui = this.uiOf(clip.clip_id);
    if (ui.detailsOpen) {
      ui.detailsOpen = false;
      this.refresh(clip.clip_id);
      return;
    }
    await this.run(clip, "details", async () => {
      const doc = await this.getApi().clip(clip.clip_id);
      ui.details = doc;
      ui.detailsOpen = true;
      this.update(doc);
    });
  }

  async promote(clip) {
    await this.run(clip, "promote", async () => {
      const doc = await this.getApi().promoteClip(clip.clip_id);
      if (this.uiOf(clip.clip_id).detailsOpen) this.uiOf(clip.clip_id).details = doc;
      this.update(doc);
      this.status(`Clip ${clip.title ? `“${clip.title}” ` : ""}now has its own copy.`);
    });
  }

  askDelete(clip) {
    const ui = this.uiOf(clip.clip_id);
    ui.confirm = true;
    ui.error = "";
    this.refresh(clip.clip_id);
    this.list.querySelector(`[data-clip-id="${CSS.escape(clip.clip_id)}"] [data-testid=clip-delete-confirm]`)?.focus();
  }

  cancelDelete(clip) {
    this.uiOf(clip.clip_id).confirm = false;
    this.refresh(clip.clip_id);
  }

  async remove(clip) {
    const ui = this.uiOf(clip.clip_id);
    ui.busy = "delete";
    ui.error = "";
    this.refresh(clip.clip_id);
    try {
      await this.getApi().deleteClip(clip.clip_id);
    } catch (error) {
      ui.busy = null;
      ui.confirm = false;
      ui.error = messageOf(error);
      this.refresh(clip.clip_id);
      return;
    }
    this.clips = this.clips.filter((c) => c.clip_id !== clip.clip_id);
    this.ui.delete(clip.clip_id);
    this.render();
    this.onRemoved(clip);
    this.status(`Clip ${clip.title ? `“${clip.title}” ` : ""}deleted.`);
  }

  async exportMp4(clip) {
    const ui = this.uiOf(clip.clip_id);
    const answer = await this.run(clip, "mp4", async () => {
      const data = await this.getApi().exportMp4(clip.clip_id, { rendition: ui.rendition || undefined });
      // The answer is the clip's document, or its mp4 state alone.
      const mp4 = data?.clip_id ? data.mp4 : data?.status ? data : data?.mp4;
      this.update(data?.clip_id ? data : { clip_id: clip.clip_id, mp4: mp4 || { status: "pending" } });
      return true;
    });
    if (answer) this.resumePolling(this.clips.find((c) => c.clip_id === clip.clip_id));
  }

  /** Poll GET /clips/{id} while its MP4 is pending (also for exports started before the page loaded). */
  async resumePolling(clip) {
    if (!clip || clip.mp4?.status !== "pending" || !this.getFlags().mp4Download) return;
    const ui = this.uiOf(clip.clip_id);
    if (ui.polling) return;
    ui.polling = true;
    const started = Date.now();
    try {
      while (this.has(clip.clip_id)) {
        await sleep(POLL_MS);
        if (!this.has(clip.clip_id)) return;
        let doc;
        try {
          doc = await this.getApi().clip(clip.clip_id);
        } catch (error) {
          ui.error = messageOf(error);
          this.refresh(clip.clip_id);
          return;
        }
        this.update(doc);
        if (doc.mp4?.status !== "pending") {
          if (doc.mp4?.status === "ready") this.status(`The MP4 of ${clip.title ? `“${clip.title}”` : "the clip"} is ready.`);
          return;
        }
        if (Date.now() - started > POLL_LIMIT_MS) {
          ui.error = "The MP4 is still not ready after 10 minutes; refresh the clips to check again.";
          this.refresh(clip.clip_id);
          return;
        }
      }
    } finally {
      ui.polling = false;
    }
  }
}

/** The clip's document as GET /clips/{id} answers it, for people. */
function details(doc) {
  const requested = doc.requested || {};
  const mp4 = doc.mp4;
  const rows = [
    ["Clip id", doc.clip_id],
    ["Recording", doc.recording?.id || doc.recording?.key || "—"],
    ["Clip", `${instant(doc.start_time)} – ${instant(doc.end_time)} (${seconds(doc.duration)} s)`],
    ["Requested", `${seconds(requested.start_seconds)} – ${seconds(requested.end_seconds)} s`],
    ["Cut", `${doc.byte_range ? "byte-range" : "whole segments"}, ${doc.boundary || "outer"}`],
    ["Renditions", (doc.renditions || []).map((r) => `${r.name} (${r.segments} segments)`).join(", ") || "—"],
    ["Owned", doc.owned ? "yes: its own copy of its bytes" : "no: plays the recording's segments"],
    ["Expires", doc.expires_at ? instant(doc.expires_at) : "never"],
    ["Created", instant(doc.created_at || doc.created)],
    ["MP4", mp4 ? `${mp4.status}${mp4.rendition ? `, ${mp4.rendition}` : ""}${mp4.error ? `: ${mp4.error}` : ""}` : "none"],
  ];
  return el(
    "dl",
    { class: "edges clip-details", "data-testid": "clip-details-view" },
    ...rows.flatMap(([name, value]) => [el("dt", { text: name }), el("dd", { text: value, dataset: { field: name.toLowerCase().replace(/ /g, "-") } })]),
  );
}

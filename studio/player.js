// One HLS player bound to a <video>: hls.js where MSE exists, native HLS (Safari) otherwise.
// Records every hls.js error on `errors` so the page (and its tests) can see them.

const DEFAULT_FPS = 30;

export class HlsPlayer {
  constructor(video, { onError, onLevels } = {}) {
    this.video = video;
    this.onError = onError || (() => {});
    this.onLevels = onLevels || (() => {});
    this.hls = null;
    this.errors = [];
    this.url = null;
  }

  /** Load `url`; with `autoplay`, start once the master is parsed (so at its #EXT-X-START, not at 0). */
  load(url, { startPosition, autoplay = false } = {}) {
    this.destroy();
    this.url = url;
    this.errors = [];
    const video = this.video;
    video.muted = true; // autoplay policies allow muted playback only
    const Hls = window.Hls;
    if (Hls && Hls.isSupported()) {
      const config = { enableWorker: true, lowLatencyMode: false };
      if (Number.isFinite(startPosition)) config.startPosition = startPosition;
      const hls = new Hls(config);
      this.hls = hls;
      hls.on(Hls.Events.ERROR, (_event, data) => {
        const entry = { type: data.type, details: data.details, fatal: Boolean(data.fatal), url: data.frag?.url || data.url || null };
        this.errors.push(entry);
        if (data.fatal) {
          if (data.type === Hls.ErrorTypes.MEDIA_ERROR && !this._recovered) {
            this._recovered = true;
            hls.recoverMediaError();
            return;
          }
          this.onError(describe(entry, data));
        }
      });
      hls.on(Hls.Events.MANIFEST_PARSED, () => this.onLevels(this.levels()));
      if (autoplay) hls.once(Hls.Events.LEVEL_LOADED, (_event, data) => this._autoplay(startPosition ?? data.details.startTimeOffset));
      hls.on(Hls.Events.LEVEL_SWITCHED, () => this.onLevels(this.levels()));
      hls.loadSource(url);
      hls.attachMedia(video);
    } else if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = url;
      if (autoplay) video.addEventListener("loadedmetadata", () => this.play(), { once: true });
    } else {
      this.onError("This browser cannot play HLS (no Media Source Extensions and no native HLS).");
    }
  }

  /**
   * Start playing at `offset` (a playlist's #EXT-X-START): hls.js seeks there once the first
   * fragment is buffered, and that fragment may also hold 0, so playing before the seek would
   * start at 0 for a moment. Wait for the seek when there is one.
   */
  _autoplay(offset) {
    const video = this.video;
    if (!(Number.isFinite(offset) && offset > 0)) {
      this.play();
      return;
    }
    const near = () => Math.abs(video.currentTime - offset) < 0.25;
    if (near()) {
      this.play();
      return;
    }
    const onSeeked = () => {
      if (!near()) return;
      video.removeEventListener("seeked", onSeeked);
      this.play();
    };
    video.addEventListener("seeked", onSeeked);
    this._cleanup = () => video.removeEventListener("seeked", onSeeked);
  }

  play() {
    this.video.muted = true;
    return this.video.play().catch((error) => {
      // AbortError: a pause or a new load came first, which is not a failure.
      if (error?.name !== "AbortError") this.onError(`The player could not start: ${error.message}`);
    });
  }

  destroy() {
    if (this.hls) {
      this.hls.destroy();
      this.hls = null;
    }
    if (this._cleanup) this._cleanup();
    this._cleanup = null;
    this._recovered = false;
    this.video.removeAttribute("src");
    this.video.load();
  }

  /** [{index, name, height, bitrate, active}] of the loaded master (empty with native HLS). */
  levels() {
    if (!this.hls) return [];
    return this.hls.levels.map((level, index) => ({
      index,
      name: level.name || (level.height ? `${level.height}p` : `level ${index}`),
      height: level.height,
      bitrate: level.bitrate,
      active: index === this.hls.currentLevel,
    }));
  }

  setLevel(index) {
    if (this.hls) this.hls.currentLevel = index;
  }

  /** Frames per second of the playing rendition (its FRAME-RATE), 30 when the master does not say. */
  fps() {
    const hls = this.hls;
    if (hls) {
      const level = hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel] || hls.levels[0];
      const rate = level && Number(level.frameRate);
      if (rate > 0) return rate;
    }
    return DEFAULT_FPS;
  }

  /** The loaded media playlist's fragments, for mapping media time to recording time. */
  fragments() {
    const hls = this.hls;
    if (!hls) return [];
    const level = hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : hls.loadLevel] || hls.levels[0];
    return level?.details?.fragments || [];
  }

  /**
   * Seconds relative to the recording's start, as the API counts them (wall clock of the
   * program date times), for a media time. The two agree unless the recording has a gap
   * (a reconnect in a merged recording); then the dates of the segment holding `t` decide.
   */
  toRecordingSeconds(t) {
    const { fragment, first } = this._fragmentAt(t, "start");
    if (!fragment || !first || !fragment.programDateTime || !first.programDateTime) return t;
    const shift = (fragment.programDateTime - first.programDateTime) / 1000 - (fragment.start - first.start);
    return Math.abs(shift) > 0.25 ? t + shift : t;
  }

  /** The inverse of toRecordingSeconds: the media time of a time relative to the recording's start. */
  toMediaTime(seconds) {
    const fragments = this.fragments();
    const first = fragments[0];
    if (!first || !first.programDateTime) return seconds;
    let shift = 0;
    for (const fragment of fragments) {
      if (!fragment.programDateTime) continue;
      const dateOffset = (fragment.programDateTime - first.programDateTime) / 1000;
      if (dateOffset > seconds) break;
      shift = dateOffset - (fragment.start - first.start);
    }
    return Math.abs(shift) > 0.25 ? seconds - shift : seconds;
  }

  _fragmentAt(t) {
    const fragments = this.fragments();
    const first = fragments[0];
    let found = null;
    for (const fragment of fragments) {
      if (fragment.start <= t + 1e-6) found = fragment;
      else break;
    }
    return { fragment: found, first };
  }
}

function describe(entry, data) {
  const what = entry.type === "networkError" ? "could not load" : "could not play";
  const code = data.response?.code ? ` (HTTP ${data.response.code})` : "";
  return `The player ${what} the stream: ${entry.details}${code}.`;
}

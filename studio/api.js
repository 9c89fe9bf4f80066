// The API client: one place that turns every answer into data or an ApiError whose message is the
// API's own `error` text (what people should read), so every view shows the same clear messages.

export class ApiError extends Error {
  constructor(message, { status = 0, code = null, field = null, body = null } = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.body = body;
  }
}

export class Api {
  constructor(baseUrl) {
    this.baseUrl = String(baseUrl || "").replace(/\/+$/, "");
  }

  url(path, params = {}) {
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") query.set(name, String(value));
    }
    const text = query.toString();
    return `${this.baseUrl}${path}${text ? `?${text}` : ""}`;
  }

  async request(method, path, options = {}) {
    return (await this.send(method, path, options)).data;
  }

  /** {status, data} of a successful answer; an ApiError for any other. */
  async send(method, path, { params, body } = {}) {
    const url = this.url(path, params);
    const init = { method, headers: { accept: "application/json" } };
    if (body !== undefined) {
      init.headers["content-type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, init);
    } catch {
      throw new ApiError(`Cannot reach the API at ${this.baseUrl || location.origin} (network error). Check that it is running.`);
    }
    const text = await response.text();
    let data = null;
    if (text) {
      try {
        data = JSON.parse(text);
      } catch {
        data = null;
      }
    }
    if (!response.ok) {
      const message =
        data && typeof data.error === "string" && data.error
          ? data.error
          : `The API answered ${response.status} ${response.statusText || ""}`.trim() + " without an error message.";
      throw new ApiError(message, {
        status: response.status,
        code: data?.code ?? null,
        field: data?.field ?? null,
        body: data,
      });
    }
    if (data === null && response.status !== 204) {
      throw new ApiError(`The API answered ${response.status} with a body that is not JSON.`, { status: response.status });
    }
    return { status: response.status, data };
  }

  /** GET /getrecordings: {recordings, next_cursor}, newest first. */
  recordings({ channel, limit = 20, cursor } = {}) {
    return this.request("GET", "/getrecordings", { params: { channel, limit, cursor } });
  }

  /** GET /getclips: {clips, next_cursor}, newest first; `recording` is a recording id or master key. */
  clips({ recording, limit = 20, cursor } = {}) {
    return this.request("GET", "/getclips", { params: { recording, limit, cursor } });
  }

  /**
   * POST /clipmanifest: {clip, created} (201 made; 200 the same window's clip already existed).
   * A window (`start`, `end`) or, for a recording still being written, `lastSeconds`.
   */
  async createClip({ masterUrl, start, end, lastSeconds, title, byteRange, expiresAt }) {
    const body = { master_url: masterUrl };
    if (lastSeconds !== undefined) body.last_seconds = lastSeconds;
    else Object.assign(body, { start_time: start, end_time: end });
    if (title) body.title = title;
    if (byteRange) body.byte_range = true;
    if (expiresAt) body.expires_at = expiresAt;
    const { status, data } = await this.send("POST", "/clipmanifest", { body });
    return { clip: data, created: status === 201 };
  }

  /** GET /clips/{id}: the clip's document (owned, expires_at, thumbnail_url, mp4 when exported). */
  clip(clipId) {
    return this.request("GET", `/clips/${encodeURIComponent(clipId)}`);
  }

  /** DELETE /clips/{id}: 204, every object of the clip gone. */
  async deleteClip(clipId) {
    await this.send("DELETE", `/clips/${encodeURIComponent(clipId)}`);
  }

  /** POST /clips/{id}/promote: the document with `owned: true`. */
  promoteClip(clipId) {
    return this.request("POST", `/clips/${encodeURIComponent(clipId)}/promote`);
  }

  /**
   * POST /clips/{id}/mp4: starts the MP4 export of the clip's requested window (202, `mp4.status`
   * pending) or finds the ready one (200); no body asks for the API's default rendition.
   */
  exportMp4(clipId, { rendition } = {}) {
    return this.request("POST", `/clips/${encodeURIComponent(clipId)}/mp4`, { body: rendition ? { rendition } : undefined });
  }
}

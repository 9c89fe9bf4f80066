// Formatting helpers shared by the views (pure functions, no DOM).

/** "12.345" (seconds with milliseconds), "—" for a missing value. */
export function seconds(value) {
  return Number.isFinite(value) ? value.toFixed(3) : "—";
}

/** "1:02:03" / "2:03" for a duration in seconds. */
export function duration(value) {
  if (!Number.isFinite(value)) return "—";
  const total = Math.round(value);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** "2024-05-06 07:08:09 UTC" for an ISO instant (UTC, so every viewer reads the same time). */
export function instant(iso) {
  if (!iso) return "—";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return `${date.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/** The byte-range master of a recording: the same folder, byte-range-multivariant.m3u8. */
export function byteRangeMaster(url) {
  return url.replace(/[^/?#]*(?=([?#].*)?$)/, "byte-range-multivariant.m3u8");
}

/** "1.5 MB" / "820 kB" / "12 B" for a size in bytes, "" for a missing one. */
export function bytes(value) {
  if (!Number.isFinite(value) || value < 0) return "";
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB`;
  if (value >= 1e3) return `${Math.round(value / 1e3)} kB`;
  return `${value} B`;
}

/** What the clip list says of a clip's expiry: "expires 2024-05-07 07:08:09 UTC" or "never expires". */
export function expiry(iso) {
  return iso ? `expires ${instant(iso)}` : "never expires";
}

/**
 * The `expires_at` to send for the form's expiry choice: "" (none: the service's default, never
 * unless the deployment sets one), a number of days from `now`, or "custom" with a datetime-local
 * value (the viewer's local time). ISO 8601 UTC with milliseconds, as the API writes instants.
 * Throws an Error with a message for people when the custom time is missing, malformed or past.
 */
export function expiresAt(choice, custom = "", now = new Date()) {
  if (!choice) return undefined;
  if (choice === "custom") {
    if (!custom) throw new Error("Pick the date and time the clip expires, or choose another expiry.");
    const moment = new Date(custom); // "YYYY-MM-DDTHH:MM" without a zone is local time
    if (Number.isNaN(moment.getTime())) throw new Error(`The expiry ${custom} is not a date and time.`);
    if (moment.getTime() <= now.getTime()) throw new Error("The expiry must be in the future.");
    return moment.toISOString();
  }
  const days = Number(choice);
  if (!Number.isFinite(days) || days <= 0) throw new Error(`Unknown expiry choice ${choice}.`);
  return new Date(now.getTime() + days * 86400_000).toISOString();
}

/** A Date as a datetime-local input's value (local time, minutes). */
export function localInputValue(date) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

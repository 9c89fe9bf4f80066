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

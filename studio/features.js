// Feature flags: which of the studio's later controls this deployment's API supports. The server
// writes them into studio/config.json ({"features": {"deleteClip": true, ...}}), deriving each one from
// its route table (devserver/studio.py locally, infra/studio.py for a deployment): a flag is on only
// when every route it calls exists. Off, or absent, means the control is not rendered at all.

export const DEFAULT_FEATURES = Object.freeze({
  clipDetails: false, // GET /clips/{id}: the clip's document (details view, MP4 status polling)
  deleteClip: false, // DELETE /clips/{id}
  promoteClip: false, // POST /clips/{id}/promote: "Keep a copy"
  clipExpiry: false, // expires_at on POST /clipmanifest
  mp4Download: false, // POST /clips/{id}/mp4, then GET /clips/{id} until mp4.status is ready or failed
  liveLast30: false, // last_seconds on POST /clipmanifest: "Clip last 30 s" of a live recording
});

/** The flags of a config: only the known names, only `true` turns one on. */
export function features(config) {
  const given = config && typeof config.features === "object" && config.features ? config.features : {};
  const flags = {};
  for (const name of Object.keys(DEFAULT_FEATURES)) flags[name] = given[name] === true;
  return flags;
}

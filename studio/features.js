// Actions that need API routes other helpers are adding (delete, expiry, MP4 download, "last 30 s"
// of a live recording). Each is declared here with the feature flag that shows it; the flags are off
// until the server's studio/config.json turns them on ({"features": {"deleteClip": true, ...}}) and
// the action's `run` is written. Hidden actions are not rendered at all.

export const DEFAULT_FEATURES = Object.freeze({
  deleteClip: false, // DELETE a clip
  clipExpiry: false, // set a clip's expiry
  mp4Download: false, // download a clip as MP4
  liveLast30: false, // clip the last 30 s of a live recording
});

export function features(config) {
  return { ...DEFAULT_FEATURES, ...(config && typeof config.features === "object" ? config.features : {}) };
}

/** Clip actions beyond Play / Copy link, in display order. `run(ctx, clip)` is null until the route exists. */
export const CLIP_ACTIONS = [
  { id: "delete", feature: "deleteClip", label: "Delete", run: null },
  { id: "expiry", feature: "clipExpiry", label: "Set expiry", run: null },
  { id: "mp4", feature: "mp4Download", label: "Download MP4", run: null },
];

/** Recording actions beside "Create clip". */
export const RECORDING_ACTIONS = [
  { id: "last30", feature: "liveLast30", label: "Clip last 30 s", liveOnly: true, run: null },
];

/** The actions to render: flag on and implemented (and, for live-only ones, the recording is live). */
export function visibleActions(actions, flags, { live = false } = {}) {
  return actions.filter((action) => flags[action.feature] && typeof action.run === "function" && (!action.liveOnly || live));
}

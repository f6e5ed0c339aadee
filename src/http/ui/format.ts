/** Times as people read them: UTC, to the minute, and relative to now. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return iso;
  const s = new Date(ms).toISOString();
  return /^\d{4}-\d{2}-\d{2}$/.test(iso) ? iso : `${s.slice(0, 10)} ${s.slice(11, 16)} UTC`;
}

/** "in 5 min", "3 h ago". */
export function relativeTime(iso: string | null | undefined, nowMs: number): string {
  if (!iso) return "";
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) return "";
  const diff = ms - nowMs;
  const abs = Math.abs(diff);
  const text = abs < 60_000
    ? `${Math.round(abs / 1000)} s`
    : abs < 3_600_000
    ? `${Math.round(abs / 60_000)} min`
    : abs < 172_800_000
    ? `${Math.round(abs / 3_600_000)} h`
    : `${Math.round(abs / 86_400_000)} days`;
  return diff >= 0 ? `in ${text}` : `${text} ago`;
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

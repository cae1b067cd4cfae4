/** Money is whole taka (PROTOCOL.md): "1,000 BDT" (the taka sign is missing from many fonts). */
export function taka(amount: number | null | undefined): string {
  if (amount === null || amount === undefined) return "—";
  return `${amount.toLocaleString("en-US")} BDT`;
}

/** "2m 05s", "1h 02m", "3d 4h": a countdown that stays short. */
export function countdown(ms: number): string {
  if (ms <= 0) return "ended";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  return `${m}m ${String(sec).padStart(2, "0")}s`;
}

export function shortTime(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A request id unique per user, as every chunk and chat message needs (`req`, ≤ 64 characters). */
export function newReq(prefix: string): string {
  return `web-${prefix}-${crypto.randomUUID()}`.slice(0, 64);
}

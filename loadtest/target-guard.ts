/**
 * The load tester refuses to load a machine other than this one unless told
 * to (`--allow-remote`): pointing thousands of simulated players at someone
 * else's deployment by a typo should be impossible. Pure: only literal
 * loopback addresses and the name `localhost` count (no DNS lookup, so a name
 * that resolves to 127.0.0.1 today is still refused).
 */

export class TargetRefusedError extends Error {
  override name = "TargetRefusedError";
}

export interface Target {
  /** HTTP base without a trailing slash, e.g. `http://127.0.0.1:2567`. */
  httpUrl: string;
  /** WebSocket base for the SDK, e.g. `ws://127.0.0.1:2567`. */
  wsUrl: string;
  hostname: string;
  loopback: boolean;
}

/** Whether `hostname` (as `URL.hostname` gives it) is a loopback address: 127.0.0.0/8, ::1, or localhost. */
export function isLoopbackHost(hostname: string): boolean {
  let host = hostname.toLowerCase();
  if (host.endsWith(".")) host = host.slice(0, -1);
  if (host === "localhost") return true;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  if (isLoopbackIpv4(host)) return true;
  return isLoopbackIpv6(host);
}

function isLoopbackIpv4(host: string): boolean {
  return isDottedQuad(host) && host.split(".")[0] === "127";
}

function isLoopbackIpv6(host: string): boolean {
  if (!host.includes(":")) return false;
  const groups = expandIpv6(host);
  if (!groups) return false;
  // ::1
  if (groups.slice(0, 7).every((group) => group === 0) && groups[7] === 1) return true;
  // ::ffff:127.x.y.z (IPv4-mapped loopback)
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) return (groups[6]! >> 8) === 127;
  return false;
}

/** The eight 16-bit groups of an IPv6 address (with an optional dotted IPv4 tail), or undefined. */
function expandIpv6(address: string): number[] | undefined {
  let text = address;
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const last = text.slice(lastColon + 1);
  if (last.includes(".")) {
    if (!isDottedQuad(last)) return undefined;
    const bytes = last.split(".").map(Number) as [number, number, number, number];
    tail = [(bytes[0] << 8) | bytes[1], (bytes[2] << 8) | bytes[3]];
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith("::")) text = text.slice(0, -1);
  }
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const parse = (part: string) =>
    part === "" ? [] : part.split(":").map((group) => (/^[0-9a-f]{1,4}$/.test(group) ? parseInt(group, 16) : Number.NaN));
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if ([...head, ...rest].some(Number.isNaN)) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 && known !== 8) return undefined;
  if (halves.length === 2 && known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest, ...tail];
}

function isDottedQuad(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255);
}

/**
 * Checks `--url` and derives the WebSocket base from it.
 * @throws TargetRefusedError for a malformed URL, a scheme other than http(s)/ws(s),
 *   or a non-loopback host without `allowRemote`.
 */
export function resolveTarget(url: string, allowRemote: boolean): Target {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefusedError(`--url ${JSON.stringify(url)} is not a URL; give one like http://127.0.0.1:2567.`);
  }
  const secure = parsed.protocol === "https:" || parsed.protocol === "wss:";
  if (!["http:", "https:", "ws:", "wss:"].includes(parsed.protocol)) {
    throw new TargetRefusedError(`--url must be http(s):// (or ws(s)://), not ${parsed.protocol}//.`);
  }
  const loopback = isLoopbackHost(parsed.hostname);
  if (!loopback && !allowRemote) {
    throw new TargetRefusedError(
      `Refusing to load ${parsed.host}: it is not this machine (loopback is 127.0.0.0/8, ::1 or localhost). ` +
        "Add --allow-remote if you operate that deployment and mean to load it.",
    );
  }
  const path = parsed.pathname.replace(/\/+$/, "");
  const hostPart = parsed.host;
  return {
    httpUrl: `${secure ? "https" : "http"}://${hostPart}${path}`,
    wsUrl: `${secure ? "wss" : "ws"}://${hostPart}${path}`,
    hostname: parsed.hostname,
    loopback,
  };
}

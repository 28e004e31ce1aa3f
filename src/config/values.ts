/**
 * Parsers for single configuration values (ports, addresses, durations, URLs,
 * algorithms). Each takes a value with the flag or field it came from and
 * records a problem naming that path when the value is not acceptable.
 */
import { isIP } from "node:net";
import type { Problems } from "./errors.ts";
import type { ListenAddress } from "./types.ts";

/** A raw value and the flag or file field it came from. */
export interface Setting<T> {
  readonly value: T;
  readonly path: string;
}

/** `(got "…")`, quoting the raw value as the user wrote it. */
export function got(value: unknown): string {
  return `(got ${JSON.stringify(String(value))})`;
}

function wholeNumber(value: string | number): number | undefined {
  if (typeof value === "number") return Number.isInteger(value) ? value : undefined;
  return /^[0-9]+$/.test(value) ? Number(value) : undefined;
}

/** A TCP port 1-65535; with `allowOff`, 0 too (meaning "turned off"). */
export function parsePort(s: Setting<string | number>, problems: Problems, allowOff = false): number | undefined {
  const n = wholeNumber(s.value);
  if (n !== undefined && n <= 65535 && (n >= 1 || (allowOff && n === 0))) return n;
  const off = allowOff ? ", or 0 to turn it off" : "";
  problems.add(s.path, `must be a port number 1-65535${off} ${got(s.value)}`);
  return undefined;
}

/** An IPv4 or IPv6 address to bind to. */
export function parseIpAddress(s: Setting<string>, problems: Problems): string | undefined {
  if (isIP(s.value) !== 0) return s.value;
  problems.add(s.path, `must be an IP address such as 0.0.0.0 or :: ${got(s.value)}`);
  return undefined;
}

const HOSTNAME = /^(?=.{1,253}$)[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

/** `host:port` or `[v6]:port`, as Go's net.SplitHostPort reads it; an empty host means all IPv4 interfaces. */
export function parseHostPort(s: Setting<string>, problems: Problems): ListenAddress | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):([0-9]+)$/.exec(s.value);
  const host = m ? (m[1] ?? m[2] ?? "") : undefined;
  const hostOk = host !== undefined && (m?.[1] !== undefined ? isIP(host) === 6 : host === "" || isIP(host) === 4 || (HOSTNAME.test(host) && !/^[0-9.]+$/.test(host)));
  const port = m?.[3] === undefined ? undefined : Number(m[3]);
  if (hostOk && port !== undefined && port >= 1 && port <= 65535) return { host: host === "" ? "0.0.0.0" : host, port };
  problems.add(s.path, `must be host:port with a port 1-65535, e.g. 0.0.0.0:9090 ${got(s.value)}`);
  return undefined;
}

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration (`50ms`, `1.5s`, `1m30s`, `0`) in milliseconds; negative only with `allowNegative`. */
export function parseDuration(s: Setting<string>, problems: Problems, allowNegative = false): number | undefined {
  const ms = goDurationMs(s.value);
  if (ms !== undefined && (allowNegative || ms >= 0)) return ms;
  problems.add(s.path, `must be a duration such as 50ms, 1s or 1m30s ${got(s.value)}`);
  return undefined;
}

function goDurationMs(text: string): number | undefined {
  const m = /^([-+]?)(.+)$/.exec(text);
  if (!m?.[2]) return undefined;
  if (m[2] === "0") return 0;
  const part = /([0-9]*(?:\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let p = part.exec(m[2]); p; p = part.exec(m[2])) {
    const [whole, num = "", unit = ""] = p;
    if (num === "" || num === ".") return undefined;
    total += Number(num) * (UNIT_MS[unit] ?? Number.NaN);
    end += whole.length;
  }
  if (end !== m[2].length || !Number.isFinite(total)) return undefined;
  return m[1] === "-" ? -total : total;
}

/** An https URL with no user info, query or fragment, kept exactly as written (it is compared to `iss`). */
export function parseHttpsUrl(s: Setting<string>, problems: Problems): string | undefined {
  let url: URL | undefined;
  try {
    url = new URL(s.value);
  } catch {
    url = undefined;
  }
  if (url && (url.username !== "" || url.password !== "")) {
    problems.add(s.path, "must be an https URL without user info (the value is not shown)");
    return undefined;
  }
  if (url?.protocol === "https:" && url.host !== "" && !s.value.includes("?") && !s.value.includes("#")) return s.value;
  problems.add(s.path, `must be an https URL without query or fragment ${got(s.value)}`);
  return undefined;
}

/** JWS algorithms kube-apiserver accepts for `--oidc-signing-algs`. */
export const ALLOWED_SIGNING_ALGS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"] as const;

/** Checks each algorithm; `none` and HMAC are refused with the reason. */
export function parseSigningAlgs(s: Setting<readonly string[]>, problems: Problems): string[] | undefined {
  const algs = s.value.map((a) => a.trim());
  let ok = algs.length > 0;
  if (!ok) problems.add(s.path, `must list at least one of ${ALLOWED_SIGNING_ALGS.join(", ")}`);
  for (const alg of algs) {
    if ((ALLOWED_SIGNING_ALGS as readonly string[]).includes(alg)) continue;
    ok = false;
    if (alg.toLowerCase() === "none") {
      problems.add(s.path, `"none" is refused: it accepts unsigned tokens, which anyone can forge`);
    } else if (/^HS(256|384|512)$/i.test(alg)) {
      problems.add(s.path, `"${alg}" is refused: HMAC algorithms verify with a shared secret, so whoever can verify a token can also forge one`);
    } else {
      problems.add(s.path, `must be one of ${ALLOWED_SIGNING_ALGS.join(", ")} ${got(alg)}`);
    }
  }
  return ok ? [...new Set(algs)] : undefined;
}

/** Bounds for `--max-request-header-bytes`. */
export const HEADER_BYTES_MIN = 1024;
export const HEADER_BYTES_MAX = 16 * 1024 * 1024;

/** A whole number of bytes within [{@link HEADER_BYTES_MIN}, {@link HEADER_BYTES_MAX}]. */
export function parseHeaderBytes(s: Setting<string | number>, problems: Problems): number | undefined {
  const n = wholeNumber(s.value);
  if (n !== undefined && n >= HEADER_BYTES_MIN && n <= HEADER_BYTES_MAX) return n;
  problems.add(s.path, `must be a whole number of bytes from ${HEADER_BYTES_MIN} to ${HEADER_BYTES_MAX} ${got(s.value)}`);
  return undefined;
}

/** Log levels, quietest first. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function parseLogLevel(s: Setting<string>, problems: Problems): LogLevel | undefined {
  const level = LOG_LEVELS.find((l) => l === s.value);
  if (level === undefined) problems.add(s.path, `must be one of ${LOG_LEVELS.join(", ")} ${got(s.value)}`);
  return level;
}

/** Go's strconv.ParseBool spellings, as pflag accepts them for `--flag=value`. */
export function parseBool(text: string): boolean | undefined {
  if (["1", "t", "T", "true", "TRUE", "True"].includes(text)) return true;
  if (["0", "f", "F", "false", "FALSE", "False"].includes(text)) return false;
  return undefined;
}

const EXTRA_KEY = /^[a-z0-9]([a-z0-9._/-]*[a-z0-9])?$/;
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Checks extra-user keys (lowercased, as kube-apiserver keeps extra keys) and
 * values (must be sendable as an HTTP header value).
 */
export function parseExtras(s: Setting<Readonly<Record<string, readonly string[]>>>, problems: Problems): Record<string, string[]> | undefined {
  const out: Record<string, string[]> = {};
  let ok = true;
  for (const [rawKey, values] of Object.entries(s.value)) {
    const key = rawKey.toLowerCase();
    if (!EXTRA_KEY.test(key)) {
      ok = false;
      problems.add(s.path, `key must be letters, digits and . _ / - (got ${JSON.stringify(rawKey)})`);
    }
    for (const v of values) {
      if (HEADER_VALUE.test(v)) continue;
      ok = false;
      problems.add(s.path, `value for ${JSON.stringify(rawKey)} must not contain control characters`);
    }
    out[key] = [...(out[key] ?? []), ...values];
  }
  return ok ? out : undefined;
}

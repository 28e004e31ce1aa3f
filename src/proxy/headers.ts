/**
 * Helpers for raw HTTP header lists (`[name, value, name, value, …]`, as
 * Node's `rawHeaders`): every value is kept separately, so a group named
 * "a, b" or a repeated Impersonate-Group survives, unlike joined header objects.
 */

/** A raw header list: names at even indexes, values at odd ones. */
export type RawHeaders = readonly string[];

/** Headers that describe one hop and must never be forwarded (RFC 9110 §7.6.1). */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
  "te", "trailer", "trailers", "transfer-encoding", "upgrade", "http2-settings",
]);

/** Every value of header `name` (lowercase), in order. */
export function headerValues(raw: RawHeaders, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] as string).toLowerCase() === name) out.push(raw[i + 1] as string);
  }
  return out;
}

/** The first value of header `name` (lowercase). */
export function firstHeader(raw: RawHeaders, name: string): string | undefined {
  return headerValues(raw, name)[0];
}

/** The comma-separated tokens of every `name` header, trimmed and lowercased. */
export function headerTokens(raw: RawHeaders, name: string): string[] {
  return headerValues(raw, name)
    .flatMap((v) => v.split(","))
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t.length > 0);
}

/** True for an HTTP/1.1 upgrade to `protocol` (any, when absent). */
export function isUpgrade(raw: RawHeaders, protocol?: string): boolean {
  if (!headerTokens(raw, "connection").includes("upgrade")) return false;
  const upgrade = headerTokens(raw, "upgrade");
  return upgrade.length > 0 && (protocol === undefined || upgrade.includes(protocol));
}

/**
 * Node reads and writes header bytes as latin1. Kubernetes names are UTF-8,
 * so a value is sent as its UTF-8 bytes, one latin1 character per byte.
 */
export function toWire(value: string): string {
  return Buffer.from(value, "utf8").toString("latin1");
}

/** The inverse of {@link toWire}: UTF-8 text from a header value Node decoded as latin1. */
export function fromWire(value: string): string {
  return Buffer.from(value, "latin1").toString("utf8");
}

/** The client's IP as kube-apiserver would print it: IPv4-mapped IPv6 (`::ffff:10.0.0.1`) becomes plain IPv4. */
export function clientAddress(remote: string | undefined): string {
  const address = remote ?? "";
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address) ? address.slice(7) : address;
}

/** True when `value` (already in wire form) may appear in a header: no control characters. */
export function isValidWireValue(value: string): boolean {
  return !/[\u0000-\u0008\u000a-\u001f\u007f]/.test(value);
}

/**
 * The `sub` claim: derived from the connector id and the connector's user id
 * exactly as Dex does (base64url, unpadded, of the protobuf message
 * `{1: user_id, 2: conn_id}`), so subjects survive a migration from Dex.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v > 0x7f) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

function field(tag: number, value: string): number[] {
  const bytes = [...Buffer.from(value, "utf8")];
  return [tag, ...varint(bytes.length), ...bytes];
}

/**
 * The stable subject for `userID` at `connectorID`.
 *
 * @example
 * subjectFor("local", "08a8684b-db88-4b73-90a9-3cd1661f5466")
 * // "CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs", as Dex
 */
export function subjectFor(connectorID: string, userID: string): string {
  const message = [...(userID === "" ? [] : field(0x0a, userID)), ...(connectorID === "" ? [] : field(0x12, connectorID))];
  return Buffer.from(message).toString("base64url");
}

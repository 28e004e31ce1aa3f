/**
 * Test helpers shared by the OAuth2 connector suites: the whole browser flow
 * against a fake, a conformance setup built from it, and error assertions.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Writable } from "node:stream";
import { isKubewardError, type ErrorCode } from "../../../src/errors.ts";
import { createLogger } from "../../../src/log/logger.ts";
import type { CallbackConnector, ConnectorDeps, Identity, Scopes } from "../../../src/issuer/connectors/connector.ts";
import type { ConnectorUnderTest, ExpectedUser } from "../../conformance/connector.ts";

export const CALLBACK = "https://kubeward.test/callback";
export const ALL: Scopes = { offlineAccess: true, groups: true };
export const quietDeps: ConnectorDeps = { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch };

/** Deps whose logger writes every line (trace level) to `lines`, for checking what a failure logs. */
export function capturingDeps(): { deps: ConnectorDeps; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString("utf8").split("\n").filter(Boolean)); done(); } });
  return { deps: { ...quietDeps, logger: createLogger({ level: "trace", destination }) }, lines };
}

/** The browser at the upstream: given the login URL, returns the callback URL the upstream redirects to. */
export type Browser = (url: string) => Promise<URL>;

/** kubeward's redirect, the user at the upstream, the callback. */
export async function logIn(c: CallbackConnector, browser: Browser, scopes: Scopes = ALL): Promise<Identity> {
  const { url, saved } = await c.loginURL(scopes, CALLBACK, randomUUID());
  return c.handleCallback(scopes, CALLBACK, await browser(url), saved);
}

export function rejectsWith(p: Promise<unknown>, code: ErrorCode, detail?: RegExp): Promise<void> {
  return assert.rejects(p, (e) => {
    if (!isKubewardError(e, code)) assert.fail(`expected ${code}, got ${String((e as { code?: string }).code)}: ${String(e)} ${String((e as { detail?: string }).detail)}`);
    if (detail !== undefined) assert.match(e.detail ?? "", detail);
    return true;
  });
}

/** What a conformance setup needs from a provider fake. */
export interface FlowFake {
  readonly connector: CallbackConnector;
  readonly expected: ExpectedUser;
  /** The good user signs in (or, with `deny`, refuses the app). */
  signIn(url: string, deny: boolean): Promise<URL>;
  /** Codes and tokens the fake handed out, plus the client secret. */
  secrets(): readonly string[];
  setGroups?(groups: readonly string[]): Promise<void>;
  removeUser?(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A {@link ConnectorUnderTest} over a fake. Once the fake is taken down, the
 * browser comes back with a code the connector can no longer redeem.
 */
export function underTest(f: FlowFake): ConnectorUnderTest {
  let down = false;
  const verifiers: string[] = [];
  const flow = async (scopes: Scopes, deny: boolean) => {
    const { url, saved } = await f.connector.loginURL(scopes, CALLBACK, randomUUID());
    verifiers.push(saved["verifier"] ?? "");
    const back = down ? new URL(`${CALLBACK}?code=stale-code&state=${saved["state"]}`) : await f.signIn(url, deny);
    return f.connector.handleCallback(scopes, CALLBACK, back, saved);
  };
  return {
    connector: f.connector,
    expected: f.expected,
    login: (s) => flow(s, false),
    loginWrong: (s) => flow(s, true),
    ...(f.setGroups !== undefined ? { setGroups: f.setGroups } : {}),
    ...(f.removeUser !== undefined ? { removeUser: f.removeUser } : {}),
    takeDown: async () => { down = true; await f.close(); },
    secrets: () => [...f.secrets(), ...verifiers].filter((s) => s.length > 0),
    close: () => f.close(),
  };
}

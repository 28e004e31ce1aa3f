/**
 * The device flow (RFC 8628) with openid-client polling: the user enters the
 * code on the issuer's pages and logs in, the poller gets tokens; polling too
 * fast is slow_down, an unapproved code is authorization_pending, a cancelled
 * one access_denied, an old one expired_token.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import * as client from "openid-client";
import { DEFAULT_CLIENTS, startIssuerHarness, tokenRequest, type Harness } from "./issuer-harness.ts";
import { formDriver, type FormDriver, type Landing } from "./issuer-browserless.ts";

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
let h: Harness;
before(async () => {
  h = await startIssuerHarness({
    config: { devicePollIntervalMs: 1_000, deviceCodeTtlMs: 60_000, clients: [...DEFAULT_CLIENTS, { id: "tv", name: "TV app", redirectURIs: [] }] },
  });
});
after(() => h.close());

const poll = (deviceCode: string) => tokenRequest(h, { grant_type: DEVICE_GRANT, device_code: deviceCode }, "kubectl");

/** Enters `userCode` on the verification page; returns the confirmation page. */
async function enterCode(d: FormDriver, verificationURI: string, userCode: string): Promise<Landing> {
  const input = await d.get(verificationURI);
  const form = input.forms.find((f) => "user_code" in f.fields);
  assert.ok(form, "the code entry form");
  return d.post(form.action, { ...form.fields, user_code: userCode });
}

async function submit(d: FormDriver, page: Landing, pick: (fields: Record<string, string>) => boolean, extra: Record<string, string> = {}): Promise<Landing> {
  const form = page.forms.find((f) => pick(f.fields));
  assert.ok(form, `a matching form on ${page.url}`);
  return d.post(form.action, { ...form.fields, ...extra });
}

describe("device flow", () => {
  test("the user enters the code and logs in; the polling client gets tokens", async () => {
    const rp = await h.rp("kubectl");
    const auth = await client.initiateDeviceAuthorization(rp, { scope: "openid groups offline_access" });
    assert.equal(auth.interval, 1);
    assert.match(auth.user_code, /^[A-Z]{4}-[A-Z]{4}$/);
    const polling = client.pollDeviceAuthorizationGrant(rp, auth);
    const d = formDriver(h.fetch, h.url);
    const confirm = await enterCode(d, auth.verification_uri, auth.user_code.toLowerCase());
    assert.match(confirm.html, new RegExp(auth.user_code));
    const loginPage = await submit(d, confirm, (f) => f.confirm === "yes");
    const done = await submit(d, loginPage, (f) => "password" in f, { login: "jane", password: "correct horse" });
    assert.match(done.html, /You're signed in|You&#39;re signed in/);
    const tokens = await polling;
    assert.deepEqual(tokens.claims()?.groups, ["dev", "ops"]);
    assert.ok(tokens.refresh_token);
  });

  test("a client that needs approval shows it after the login; denying there gives the poller access_denied", async () => {
    const rp = await h.rp("tv");
    const auth = await client.initiateDeviceAuthorization(rp, { scope: "openid email" });
    const d = formDriver(h.fetch, h.url);
    const loginPage = await submit(d, await enterCode(d, auth.verification_uri, auth.user_code), (f) => f.confirm === "yes");
    const approval = await submit(d, loginPage, (f) => "password" in f, { login: "jane", password: "correct horse" });
    assert.match(approval.html, /Grant access to TV app/);
    const deny = approval.forms.find((f) => f.action.endsWith("/deny"));
    assert.ok(deny);
    const denied = await d.post(deny.action, deny.fields);
    assert.ok(denied.status < 500, `a page after denying, got ${denied.status}`);
    assert.match(denied.html, /Sign-in cancelled: the device was not signed in/);
    assert.equal((await tokenRequest(h, { grant_type: DEVICE_GRANT, device_code: auth.device_code }, "tv")).body.error, "access_denied");
  });

  test("polling before approval is authorization_pending, and faster than the interval slow_down", async () => {
    const rp = await h.rp("kubectl");
    const auth = await client.initiateDeviceAuthorization(rp, { scope: "openid" });
    const first = await poll(auth.device_code);
    assert.equal(first.body.error, "authorization_pending");
    const second = await poll(auth.device_code);
    assert.equal(second.body.error, "slow_down");
    await sleep(1_100);
    const third = await poll(auth.device_code);
    assert.equal(third.body.error, "slow_down", "the interval grew by 5 s after slow_down");
  });

  test("cancelling on the confirmation page gives the poller access_denied", async () => {
    const rp = await h.rp("kubectl");
    const auth = await client.initiateDeviceAuthorization(rp, { scope: "openid" });
    const d = formDriver(h.fetch, h.url);
    const confirm = await enterCode(d, auth.verification_uri, auth.user_code);
    const cancelled = await submit(d, confirm, (f) => f.abort === "yes");
    assert.match(cancelled.html, /Sign-in cancelled: the device was not signed in/);
    assert.equal((await poll(auth.device_code)).body.error, "access_denied");
  });

  test("a wrong code shows the entry page again with a readable error", async () => {
    const d = formDriver(h.fetch, h.url);
    const page = await enterCode(d, `${h.url}/device`, "BCDF-GHJK");
    assert.match(page.html, /That code is not valid or has expired/);
    assert.ok(page.forms.some((f) => "user_code" in f.fields));
  });
});

describe("device flow expiry", () => {
  test("a code polled after its lifetime is expired_token", async () => {
    const short = await startIssuerHarness({ config: { devicePollIntervalMs: 1_000, deviceCodeTtlMs: 1_000 } });
    try {
      const rp = await short.rp("kubectl");
      const auth = await client.initiateDeviceAuthorization(rp, { scope: "openid" });
      await sleep(2_100);
      const res = await tokenRequest(short, { grant_type: DEVICE_GRANT, device_code: auth.device_code }, "kubectl");
      assert.equal(res.body.error, "expired_token");
    } finally {
      await short.close();
    }
  });
});

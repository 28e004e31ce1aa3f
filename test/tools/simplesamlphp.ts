/**
 * A real, independent SAML 2.0 IdP for tests: Debian's SimpleSAMLphp 1.19
 * under `php -S` on 127.0.0.1, config from test/fixtures/saml, users and
 * service providers from JSON files the test can rewrite, an RSA signing key
 * made with openssl. signIn() follows the IdP's real forms over HTTP.
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { startProcess, type ChildHandle } from "../fixtures/cluster/process.ts";
import { freePort, waitFor } from "../fixtures/cluster/wait.ts";

const run = promisify(execFile);
const FIXTURES = new URL("../fixtures/saml/", import.meta.url).pathname;
const WWW = "/usr/share/simplesamlphp/www";
const PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";

/** A user of the IdP's exampleauth:UserPass source; every attribute is sent. */
export interface IdpUser {
  readonly username: string;
  readonly password: string;
  readonly attributes: Readonly<Record<string, readonly string[]>>;
}

/** A service provider the IdP serves: its entity id and assertion consumer service (kubeward's callback). */
export interface IdpServiceProvider {
  readonly entityID: string;
  readonly acsURL: string;
}

/** What came back from the IdP: the auto-posting form's target and fields. */
export interface IdpPost {
  readonly action: string;
  readonly form: URLSearchParams;
}

/** A running SimpleSAMLphp IdP. */
export interface SimpleSamlPhp {
  readonly baseURL: string;
  /** The IdP's entity id (its metadata URL). */
  readonly entityID: string;
  /** The HTTP-Redirect single sign-on endpoint. */
  readonly ssoURL: string;
  /** The IdP's signing certificate, PEM. */
  readonly certPem: string;
  setUsers(users: readonly IdpUser[]): Promise<void>;
  setServiceProviders(sps: readonly IdpServiceProvider[]): Promise<void>;
  /** Follows `loginURL` through the IdP's login form with fetch; throws when the IdP shows the form again (wrong password). */
  signIn(loginURL: string, username: string, password: string): Promise<IdpPost>;
  stop(): Promise<void>;
}

function requireInstalled(): void {
  for (const [path, pkg] of [["/usr/bin/php", "php-cli"], [WWW, "simplesamlphp"], ["/usr/bin/openssl", "openssl"]] as const) {
    if (!existsSync(path)) throw new Error(`${path} is missing: install the Debian package ${pkg} (apt-get install -y --no-install-recommends simplesamlphp php-cli php-xml php-mbstring)`);
  }
}

function usersJson(users: readonly IdpUser[]): string {
  return JSON.stringify(Object.fromEntries(users.map((u) => [`${u.username}:${u.password}`, u.attributes])));
}

function spsJson(sps: readonly IdpServiceProvider[]): string {
  return JSON.stringify(Object.fromEntries(sps.map((sp) => [sp.entityID, {
    AssertionConsumerService: sp.acsURL, NameIDFormat: PERSISTENT, "simplesaml.nameidattribute": "uid", "simplesaml.attributes": true,
  }])));
}

/**
 * Starts SimpleSAMLphp with `users` and `sps`.
 * @throws when php or simplesamlphp is missing, naming the Debian package.
 */
export async function startSimpleSamlPhp(users: readonly IdpUser[], sps: readonly IdpServiceProvider[]): Promise<SimpleSamlPhp> {
  requireInstalled();
  const dir = await mkdtemp(join(tmpdir(), "kubeward-idp-"));
  let child: ChildHandle | undefined;
  try {
    await Promise.all(["sessions", "data", "tmp"].map((d) => mkdir(join(dir, d))));
    await run("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", join(dir, "idp.key"), "-out", join(dir, "idp.crt"), "-days", "2", "-subj", "/CN=kubeward test IdP"]);
    await writeFile(join(dir, "users.json"), usersJson(users));
    await writeFile(join(dir, "sps.json"), spsJson(sps));
    const port = await freePort();
    const baseURL = `http://127.0.0.1:${port}/`;
    const env = { ...process.env, SIMPLESAMLPHP_CONFIG_DIR: FIXTURES, KUBEWARD_IDP_DIR: dir, KUBEWARD_IDP_URL: baseURL };
    child = startProcess("simplesamlphp", "/usr/bin/php", ["-S", `127.0.0.1:${port}`, "-t", WWW], dir, env);
    const started = child;
    await waitFor(async () => (await fetch(`${baseURL}saml2/idp/metadata.php`)).ok, { what: "SimpleSAMLphp metadata", timeoutMs: 10_000, intervalMs: 100, process: started });
    return {
      baseURL,
      entityID: `${baseURL}saml2/idp/metadata.php`,
      ssoURL: `${baseURL}saml2/idp/SSOService.php`,
      certPem: await readFile(join(dir, "idp.crt"), "utf8"),
      setUsers: (u) => writeFile(join(dir, "users.json"), usersJson(u)),
      setServiceProviders: (s) => writeFile(join(dir, "sps.json"), spsJson(s)),
      signIn: (loginURL, username, password) => signIn(loginURL, username, password),
      stop: async () => {
        await started.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await child?.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** A browser's minimum: cookies kept per host, redirects followed by hand. */
async function follow(url: string, jar: Map<string, string>, init: RequestInit = {}): Promise<{ url: string; body: string }> {
  let current = url;
  let request = init;
  for (let hops = 0; hops < 10; hops++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(current, { ...request, redirect: "manual", headers: { ...(request.headers as Record<string, string> | undefined), cookie } });
    for (const c of res.headers.getSetCookie()) {
      const pair = c.split(";")[0] ?? "";
      const at = pair.indexOf("=");
      if (at > 0) jar.set(pair.slice(0, at).trim(), pair.slice(at + 1).trim());
    }
    const location = res.headers.get("location");
    if (location === null) return { url: current, body: await res.text() };
    current = new URL(location, current).href;
    request = {};
  }
  throw new Error(`too many redirects from ${url}`);
}

const decode = (s: string) => s.replace(/&quot;/g, '"').replace(/&#0?39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

function inputs(body: string): URLSearchParams {
  const form = new URLSearchParams();
  for (const m of body.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1];
    if (name !== undefined) form.set(decode(name), decode(value ?? ""));
  }
  return form;
}

async function signIn(loginURL: string, username: string, password: string): Promise<IdpPost> {
  const jar = new Map<string, string>();
  const page = await follow(loginURL, jar);
  const authState = inputs(page.body).get("AuthState");
  if (authState === null) throw new Error(`the IdP showed no login form:\n${page.body.slice(0, 2000)}`);
  const body = new URLSearchParams({ username, password, AuthState: authState });
  const answer = await follow(page.url, jar, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
  const form = inputs(answer.body);
  const action = /<form[^>]*action="([^"]*)"/.exec(answer.body)?.[1];
  if (!form.has("SAMLResponse") || action === undefined) throw new Error("the IdP refused the login (it showed its form again)");
  return { action: decode(action), form };
}

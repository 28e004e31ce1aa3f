/**
 * The `saml` connector: kubeward as a SAML 2.0 service provider. The browser
 * goes to the IdP with an AuthnRequest (HTTP-Redirect binding) and comes back
 * with a signed Response posted to kubeward's callback (HTTP-POST binding).
 */
import { randomBytes } from "node:crypto";
import { KubewardError } from "../../../errors.ts";
import type { Clock } from "../../../clock.ts";
import type { Logger } from "../../../log/logger.ts";
import type { CallbackConnector, CallbackState, ConnectorDeps, Identity, Scopes } from "../connector.ts";
import { checkSamlConfig, type SamlConfig, type SamlSettings } from "./saml-config.ts";
import { identityFromProfile } from "./saml-identity.ts";
import { ReplayGuard } from "./saml-replay.ts";
import { samlFor, validateResponse } from "./saml-response.ts";

/** Milliseconds the reachability check waits for the IdP. */
const PROBE_TIMEOUT_MS = 5000;

/** Failures that mean nothing answered; anything else (a TLS certificate this process does not trust, say) means the IdP is up. */
const NO_ANSWER = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "UND_ERR_CONNECT_TIMEOUT", "UND_ERR_SOCKET"]);

function noAnswer(e: unknown): string | undefined {
  const name = (e as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") return `no answer in ${PROBE_TIMEOUT_MS} ms`;
  const code = (e as { cause?: { code?: string } }).cause?.code;
  return code !== undefined && NO_ANSWER.has(code) ? code : undefined;
}

function savedValue(saved: CallbackState, key: string): string {
  const value = saved[key];
  if (value === undefined || value === "") throw new KubewardError("connector_callback_invalid", `saml connector: no saved ${key} for this callback`);
  return value;
}

/** A saml connector for one IdP; see {@link openSamlConnector}. */
class SamlConnector implements CallbackConnector {
  readonly type = "saml";
  readonly id: string;
  readonly name: string;
  readonly #config: SamlConfig;
  readonly #settings: SamlSettings;
  readonly #deps: ConnectorDeps;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #replay: ReplayGuard;

  constructor(id: string, name: string, config: SamlConfig, settings: SamlSettings, deps: ConnectorDeps) {
    this.id = id;
    this.name = name;
    this.#config = config;
    this.#settings = settings;
    this.#deps = deps;
    this.#clock = deps.clock;
    this.#log = deps.logger.child({ connector: id });
    this.#replay = new ReplayGuard(deps.clock);
  }

  async loginURL(_scopes: Scopes, callbackURL: string, state: string): Promise<{ url: string; saved: CallbackState }> {
    if (this.#config.checkIdPReachable !== false) await this.#probe();
    const acsURL = this.#config.redirectURI ?? callbackURL;
    const requestID = `_${randomBytes(20).toString("hex")}`;
    const saml = samlFor(this.#config, this.#settings, acsURL, this.#config.entityIssuer ?? acsURL, requestID, this.#clock.now());
    const url = await saml.getAuthorizeUrlAsync(state, undefined, {});
    return { url, saved: { requestID, state } };
  }

  async handleCallback(scopes: Scopes, callbackURL: string, _request: URL, saved: CallbackState, form?: URLSearchParams): Promise<Identity> {
    try {
      const samlResponse = form?.get("SAMLResponse");
      if (samlResponse === null || samlResponse === undefined || samlResponse === "") throw new KubewardError("connector_callback_invalid", "saml connector: the callback carries no posted SAMLResponse");
      if (form?.get("RelayState") !== savedValue(saved, "state")) throw new KubewardError("connector_callback_invalid", "saml connector: RelayState is not the state of this login");
      const acsURL = this.#config.redirectURI ?? callbackURL;
      const expect = { acsURL, entityID: this.#config.entityIssuer ?? acsURL, requestID: savedValue(saved, "requestID"), now: this.#clock.now() };
      const profile = await validateResponse(samlResponse, this.#config, this.#settings, expect, this.#replay);
      const identity = identityFromProfile(profile, this.#config, this.#settings.nameIDFormat, scopes);
      this.#log.info({ user: identity.username, groups: identity.groups.length }, "saml login");
      return identity;
    } catch (e) {
      const err = e instanceof KubewardError ? e : new KubewardError("connector_callback_invalid", `saml connector: ${String(e)}`, { cause: e });
      this.#log.warn({ code: err.code, reason: err.detail }, "saml callback refused");
      throw err;
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Any answer from the IdP's SSO URL counts; no answer at all is `connector_unavailable`, so the user reads why on kubeward's page. */
  async #probe(): Promise<void> {
    try {
      const res = await this.#deps.fetch(this.#config.ssoURL, { method: "GET", redirect: "manual", signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
      await res.body?.cancel();
    } catch (e) {
      const reason = noAnswer(e);
      if (reason === undefined) {
        this.#log.debug({ reason: String(e) }, "saml IdP answered with an error; sending the browser there anyway");
        return;
      }
      const err = new KubewardError("connector_unavailable", `saml connector: the IdP at ${this.#config.ssoURL} does not answer: ${reason}`, { cause: e });
      this.#log.warn({ code: err.code, reason: err.detail }, "saml IdP unreachable");
      throw err;
    }
  }
}

/**
 * Opens a saml connector. Nothing is contacted until a login starts.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for an unreadable IdP certificate or conflicting fields.
 */
export async function openSamlConnector(id: string, name: string, config: SamlConfig, deps: ConnectorDeps): Promise<CallbackConnector> {
  return new SamlConnector(id, name, config, await checkSamlConfig(config), deps);
}

/** The registry entry for `saml`. */

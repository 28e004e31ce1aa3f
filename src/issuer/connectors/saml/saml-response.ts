/**
 * Checks a SAML Response posted to kubeward's callback. node-saml verifies the
 * signature (of the response or the assertion, against the IdP certificate
 * only), refuses several assertions, and checks audience and InResponseTo;
 * kubeward adds destination, recipient, IdP issuer, times on its own clock,
 * and the replay guard, all read from the signed assertion.
 */
import { SAML, ValidateInResponseTo, type CacheProvider, type Profile } from "@node-saml/node-saml";
import { KubewardError } from "../../../errors.ts";
import type { SamlConfig, SamlSettings } from "./saml-config.ts";
import type { ReplayGuard } from "./saml-replay.ts";

/** What one callback is checked against. */
export interface ResponseExpectations {
  /** kubeward's assertion consumer service URL. */
  readonly acsURL: string;
  /** kubeward's SP entity id (the expected audience). */
  readonly entityID: string;
  /** The ID of the AuthnRequest kubeward sent for this login. */
  readonly requestID: string;
  /** Now, by kubeward's clock (ms since the epoch). */
  readonly now: number;
}

type XmlNode = { $?: Record<string, string>; _?: string } & Record<string, unknown>;

function invalid(detail: string): KubewardError {
  return new KubewardError("connector_callback_invalid", `saml connector: ${detail}`);
}

/** A cache that knows exactly one outstanding request: the one this login sent (its age is the issuer's business). */
function oneRequest(requestID: string, now: number): CacheProvider {
  const item = { value: new Date(now).toISOString(), createdAt: now };
  return {
    saveAsync: () => Promise.resolve(item),
    getAsync: (key) => Promise.resolve(key === requestID ? item.value : null),
    removeAsync: () => Promise.resolve(null),
  };
}

/** The node-saml instance for one login, with kubeward's settings. */
export function samlFor(config: SamlConfig, settings: SamlSettings, acsURL: string, entityID: string, requestID: string, now: number): SAML {
  return new SAML({
    idpCert: [...settings.idpCerts],
    issuer: entityID,
    audience: entityID,
    callbackUrl: acsURL,
    entryPoint: config.ssoURL,
    identifierFormat: settings.nameIDFormat,
    acceptedClockSkewMs: settings.clockSkewMs,
    wantAuthnResponseSigned: false,
    wantAssertionsSigned: false,
    validateInResponseTo: ValidateInResponseTo.always,
    cacheProvider: oneRequest(requestID, now),
    generateUniqueId: () => requestID,
    disableRequestedAuthnContext: true,
  });
}

function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  const list = node?.[name];
  return Array.isArray(list) ? (list[0] as XmlNode | undefined) : undefined;
}

/** The root element's Destination, read from its start tag (quoted values may hold `>`). */
function destinationOf(xml: string): string | undefined {
  const root = /<(?:[\w.-]+:)?Response((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*\/?>/.exec(xml);
  const attr = /\sDestination\s*=\s*(?:"([^"]*)"|'([^']*)')/.exec(root?.[1] ?? "");
  return attr === null ? undefined : (attr[1] ?? attr[2]);
}

function timeMs(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(`${what} is not a time: ${value}`);
  return ms;
}

/** Checks NotBefore/NotOnOrAfter of `node` on kubeward's clock; returns NotOnOrAfter. */
function checkWindow(node: XmlNode | undefined, what: string, now: number, skewMs: number): number | undefined {
  const notBefore = timeMs(node?.$?.["NotBefore"], `${what} NotBefore`);
  const notOnOrAfter = timeMs(node?.$?.["NotOnOrAfter"], `${what} NotOnOrAfter`);
  if (notBefore !== undefined && now + skewMs < notBefore) throw invalid(`${what} is not valid before ${new Date(notBefore).toISOString()}`);
  if (notOnOrAfter !== undefined && now - skewMs >= notOnOrAfter) throw invalid(`${what} expired at ${new Date(notOnOrAfter).toISOString()}`);
  return notOnOrAfter;
}

/** The checks node-saml leaves to the SP, on the signed assertion; returns when the assertion expires. */
function checkAssertion(assertion: XmlNode | undefined, config: SamlConfig, settings: SamlSettings, expect: ResponseExpectations): number {
  if (assertion?.$?.["ID"] === undefined) throw invalid("the signed assertion has no ID");
  const issuer = child(assertion, "Issuer")?._;
  if (config.ssoIssuer !== undefined && issuer !== config.ssoIssuer) throw invalid(`the assertion's issuer is ${String(issuer)}, not ${config.ssoIssuer} (ssoIssuer)`);
  const confirmation = child(child(child(assertion, "Subject"), "SubjectConfirmation"), "SubjectConfirmationData");
  const recipient = confirmation?.$?.["Recipient"];
  if (recipient !== expect.acsURL) throw invalid(`the assertion's recipient is ${String(recipient)}, not ${expect.acsURL}`);
  const subjectEnd = checkWindow(confirmation, "the subject confirmation", expect.now, settings.clockSkewMs);
  const conditionsEnd = checkWindow(child(assertion, "Conditions"), "the assertion", expect.now, settings.clockSkewMs);
  const ends = [subjectEnd, conditionsEnd].filter((t) => t !== undefined);
  if (ends.length === 0) throw invalid("the assertion has no NotOnOrAfter: it would be valid forever");
  return Math.min(...ends) + settings.clockSkewMs;
}

/**
 * The validated profile of a posted `SAMLResponse`.
 * @throws KubewardError `connector_callback_invalid` for any response that does not validate, or a replay.
 */
export async function validateResponse(samlResponse: string, config: SamlConfig, settings: SamlSettings, expect: ResponseExpectations, replay: ReplayGuard): Promise<Profile> {
  let profile: Profile | null;
  try {
    ({ profile } = await samlFor(config, settings, expect.acsURL, expect.entityID, expect.requestID, expect.now).validatePostResponseAsync({ SAMLResponse: samlResponse }));
  } catch (e) {
    throw new KubewardError("connector_callback_invalid", `saml connector: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  if (profile === null) throw invalid("the response is not a login response");
  const destination = destinationOf(profile.getSamlResponseXml?.() ?? "");
  if (destination !== undefined && destination !== expect.acsURL) throw invalid(`the response's destination is ${destination}, not ${expect.acsURL}`);
  const assertion = (profile.getAssertion?.() as { Assertion?: XmlNode } | undefined)?.Assertion;
  const expiresAt = checkAssertion(assertion, config, settings, expect);
  if (!replay.firstUse(String(child(assertion, "Issuer")?._), String(assertion?.$?.["ID"]), expiresAt)) {
    throw invalid(`assertion ${String(assertion?.$?.["ID"])} was already used (replay)`);
  }
  return profile;
}

/**
 * The differential table: OIDC settings (each given to kube-apiserver and to
 * kubeward alike) and the tokens tried under each. kube-apiserver is the judge.
 */
import type { MintOptions, TestIssuer } from "../../tools/test-issuer.ts";

/** The keys a setting's tokens can be signed with (all published by the one issuer). */
export interface Kids {
  readonly RS256: string;
  readonly ES256: string;
  readonly PS256: string;
}

/** One token tried under a setting. */
export interface Case {
  readonly name: string;
  /** Claims over the issuer's defaults (iss, aud, sub alice, iat, exp +10 min); undefined removes one. */
  readonly claims?: (now: number) => Record<string, unknown>;
  /** Which key signs (default RS256), or a raw token. */
  readonly alg?: keyof Kids;
  readonly mint?: MintOptions;
  readonly raw?: string;
  /**
   * A deliberate, documented difference: kubeward refuses where kube-apiserver
   * accepts. The case passes when kubeward refuses, whatever kube-apiserver says.
   */
  readonly documented?: string;
}

/** One OIDC configuration, started once as a kube-apiserver and once as a kubeward proxy. */
export interface Setting {
  readonly name: string;
  /** kube-apiserver flags; `ca` is the issuer CA file, `authConfig` a file holding `authenticationConfiguration`. */
  apiserverArgs(issuer: TestIssuer, ca: string, authConfig: string): string[];
  /** kubeward `proxy` flags beyond --oidc-issuer-url/--oidc-client-id/--oidc-ca-file. */
  readonly proxyArgs?: readonly string[];
  /** A kubeward config-file `oidc` entry instead of flags. */
  proxyConfig?(issuer: TestIssuer): Record<string, unknown>;
  /** The AuthenticationConfiguration document (JSON is YAML) for `--authentication-config`. */
  authenticationConfiguration?(issuer: TestIssuer): Record<string, unknown>;
  readonly cases: readonly Case[];
}

const oidcFlags = (issuer: TestIssuer, ca: string, extra: readonly string[]) =>
  [`--oidc-issuer-url=${issuer.url}`, `--oidc-client-id=${issuer.audience}`, `--oidc-ca-file=${ca}`, ...extra];

const EMPTY_USERNAME = "an empty username cannot be impersonated (an empty Impersonate-User means no impersonation): kubeward refuses it";
const RESERVED = "kubeward refuses system: users and groups unless --allow-reserved-identities";

/** Flags: sub with the default issuer# prefix, groups claim, RS256 only (the default). */
const DEFAULTS = ["--oidc-groups-claim=groups"];
const defaults: Setting = {
  name: "sub, default prefix, groups, RS256",
  apiserverArgs: (issuer, ca) => oidcFlags(issuer, ca, DEFAULTS),
  proxyArgs: DEFAULTS,
  cases: [
    { name: "groups as a list of one", claims: () => ({ groups: ["dev"] }) },
    { name: "groups as a list of two", claims: () => ({ groups: ["dev", "ops"] }) },
    { name: "groups as a string", claims: () => ({ groups: "dev" }) },
    { name: "groups absent", claims: () => ({}) },
    { name: "groups an empty list", claims: () => ({ groups: [] }) },
    { name: "groups null", claims: () => ({ groups: null }) },
    { name: "groups a number", claims: () => ({ groups: 42 }) },
    { name: "groups a list holding a number", claims: () => ({ groups: ["dev", 7] }) },
    { name: "jti present", claims: () => ({ jti: "token-1234", groups: ["dev"] }) },
    { name: "jti a number", claims: () => ({ jti: 1234 }) },
    { name: "expired a second ago", claims: (now) => ({ iat: now - 600, exp: now - 1 }) },
    { name: "exp absent", claims: () => ({ exp: undefined }) },
    { name: "nbf 30 s ahead (within the leeway)", claims: (now) => ({ nbf: now + 30 }) },
    { name: "nbf 3 min ahead (beyond 1 min, within 5 min)", claims: (now) => ({ nbf: now + 180 }) },
    { name: "nbf 10 min ahead", claims: (now) => ({ nbf: now + 600, exp: now + 1200 }) },
    { name: "iat in the future", claims: (now) => ({ iat: now + 3600 }) },
    { name: "aud a list containing the client id", claims: () => ({ aud: ["other", "kubeward"] }) },
    { name: "aud a list without the client id", claims: () => ({ aud: ["other", "another"] }) },
    { name: "aud another single value", claims: () => ({ aud: "other" }) },
    { name: "iss another issuer", claims: () => ({ iss: "https://issuer.invalid" }) },
    { name: "signed ES256 (not allowed)", alg: "ES256" },
    { name: "signed PS256 (not allowed)", alg: "PS256" },
    { name: "alg none", mint: { attack: "alg-none" } },
    { name: "HS256 keyed by the public key", mint: { attack: "hs256-public-key" } },
    { name: "signed by an unpublished key", mint: { key: "unpublished" } },
    { name: "claims changed after signing", mint: { tamper: (c) => ({ ...c, sub: "mallory" }) } },
    { name: "sub empty (username is just the prefix)", claims: () => ({ sub: "" }) },
    { name: "sub null (username is just the prefix)", claims: () => ({ sub: null }) },
    { name: "sub absent", claims: () => ({ sub: undefined }) },
    { name: "sub a number", claims: () => ({ sub: 42 }) },
    { name: "sub with unicode and spaces", claims: () => ({ sub: "José Müller" }) },
    { name: "garbage", raw: "not.a.jwt" },
  ],
};

/** Flags: no username prefix, a groups prefix, RS256 and ES256, a required claim. */
const STRICT = ["--oidc-username-prefix=-", "--oidc-groups-claim=groups", "--oidc-groups-prefix=oidc:", "--oidc-signing-algs=RS256,ES256", "--oidc-required-claim=tenant=acme"];
const strict: Setting = {
  name: "prefix -, groups prefix, RS256+ES256, required tenant=acme",
  apiserverArgs: (issuer, ca) => oidcFlags(issuer, ca, STRICT),
  proxyArgs: STRICT,
  cases: [
    { name: "required claim present", claims: () => ({ sub: "bob", tenant: "acme", groups: ["dev"] }) },
    { name: "required claim missing", claims: () => ({ sub: "bob" }) },
    { name: "required claim another value", claims: () => ({ sub: "bob", tenant: "other" }) },
    { name: "required claim a list", claims: () => ({ sub: "bob", tenant: ["acme"] }) },
    { name: "required claim a number", claims: () => ({ sub: "bob", tenant: 1 }) },
    { name: "signed ES256 (allowed)", alg: "ES256", claims: () => ({ sub: "bob", tenant: "acme" }) },
    { name: "signed PS256 (not allowed)", alg: "PS256", claims: () => ({ sub: "bob", tenant: "acme" }) },
    { name: "group with a colon gets the prefix", claims: () => ({ sub: "bob", tenant: "acme", groups: "system:masters" }) },
    { name: "sub empty, no prefix", claims: () => ({ sub: "", tenant: "acme" }), documented: EMPTY_USERNAME },
    { name: "sub null, no prefix", claims: () => ({ sub: null, tenant: "acme" }), documented: EMPTY_USERNAME },
    { name: "sub system:admin, no prefix", claims: () => ({ sub: "system:admin", tenant: "acme" }), documented: RESERVED },
  ],
};

/** Flags: username from email (no prefix by default), groups from roles, every algorithm kubeward and kube-apiserver share. */
const EMAIL = ["--oidc-username-claim=email", "--oidc-groups-claim=roles", "--oidc-signing-algs=RS256,ES256,PS256"];
const email: Setting = {
  name: "email, no prefix by default, groups from roles, RS256+ES256+PS256",
  apiserverArgs: (issuer, ca) => oidcFlags(issuer, ca, EMAIL),
  proxyArgs: EMAIL,
  cases: [
    { name: "email_verified true", claims: () => ({ email: "jane@example.com", email_verified: true, roles: "admin" }) },
    { name: "email_verified false", claims: () => ({ email: "jane@example.com", email_verified: false }) },
    { name: "email_verified \"true\" (a string)", claims: () => ({ email: "jane@example.com", email_verified: "true" }) },
    { name: "email_verified absent", claims: () => ({ email: "jane@example.com", roles: ["a"] }) },
    { name: "email absent", claims: () => ({}) },
    { name: "signed PS256 (allowed)", alg: "PS256", claims: () => ({ email: "jane@example.com" }) },
    { name: "signed ES256 (allowed)", alg: "ES256", claims: () => ({ email: "jane@example.com" }) },
  ],
};

/** Flags: a custom username claim and prefix. */
const CUSTOM = ["--oidc-username-claim=preferred_username", "--oidc-username-prefix=corp:", "--oidc-groups-claim=groups", "--oidc-groups-prefix=g-"];
const custom: Setting = {
  name: "preferred_username, prefix corp:, groups prefix g-",
  apiserverArgs: (issuer, ca) => oidcFlags(issuer, ca, CUSTOM),
  proxyArgs: CUSTOM,
  cases: [
    { name: "claim present", claims: () => ({ preferred_username: "carol", groups: ["x"] }) },
    { name: "claim absent", claims: () => ({}) },
    { name: "claim empty (username is just the prefix)", claims: () => ({ preferred_username: "" }) },
  ],
};

/** --authentication-config (apiserver.config.k8s.io/v1): two audiences, a uid claim, a claim validation rule. */
const structured: Setting = {
  name: "AuthenticationConfiguration v1: audiences kubeward|other, uid, tenant=acme",
  apiserverArgs: (_issuer, _ca, authConfig) => [`--authentication-config=${authConfig}`],
  authenticationConfiguration: (issuer) => ({
    apiVersion: "apiserver.config.k8s.io/v1",
    kind: "AuthenticationConfiguration",
    jwt: [{
      issuer: { url: issuer.url, audiences: [issuer.audience, "other"], audienceMatchPolicy: "MatchAny", certificateAuthority: issuer.caPem },
      claimValidationRules: [{ claim: "tenant", requiredValue: "acme" }],
      claimMappings: { username: { claim: "sub", prefix: "acfg:" }, groups: { claim: "groups", prefix: "" }, uid: { claim: "uid" } },
    }],
  }),
  proxyConfig: (issuer) => ({
    issuerURL: issuer.url, audiences: [issuer.audience, "other"], usernameClaim: "sub", usernamePrefix: "acfg:",
    groupsClaim: "groups", groupsPrefix: "", uidClaim: "uid", requiredClaims: { tenant: "acme" },
    signingAlgs: ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"],
  }),
  cases: [
    { name: "aud the first audience", claims: () => ({ tenant: "acme", uid: "u-1", groups: ["dev"] }) },
    { name: "aud the second audience", claims: () => ({ aud: "other", tenant: "acme", uid: "u-1" }) },
    { name: "aud neither", claims: () => ({ aud: "third", tenant: "acme" }) },
    { name: "uid absent", claims: () => ({ tenant: "acme" }) },
    { name: "uid a number", claims: () => ({ tenant: "acme", uid: 5 }) },
    { name: "tenant missing", claims: () => ({ uid: "u-1" }) },
    { name: "signed PS256 (every algorithm allowed)", alg: "PS256", claims: () => ({ tenant: "acme", uid: "u-2" }) },
    { name: "signed ES256, with jti", alg: "ES256", claims: () => ({ tenant: "acme", uid: "u-3", jti: "j-9" }) },
    { name: "tenant another value", claims: () => ({ tenant: "other", uid: "u-1" }) },
  ],
};

/** Every setting, in the order the suite starts them. */
export const SETTINGS: readonly Setting[] = [defaults, strict, email, custom, structured];

/**
 * The `issuer` and `web` sections: durations, the issuer URL and where it
 * listens, each value checked and any problem named by its field.
 */
import type { Problems } from "../config/errors.ts";
import { parseDuration, parseHostPort, parseHttpsUrl } from "../config/values.ts";
import type { FileIssuerSection, ServeFile } from "./schema.ts";
import type { IssuerSettings, ServeListen } from "./types.ts";

/** Where the issuer listens when neither `issuer.url` nor `web.https` says (another free port when taken). */
export const DEFAULT_ISSUER_LISTEN = { host: "127.0.0.1", port: 5556 } as const;

const DURATIONS = {
  idTokenTTL: "idTokenTtlMs",
  refreshIdleTTL: "refreshIdleTtlMs",
  refreshAbsoluteTTL: "refreshAbsoluteTtlMs",
  refreshReuseGrace: "refreshReuseGraceMs",
  keyRotationPeriod: "keyRotationPeriodMs",
  deviceCodeTTL: "deviceCodeTtlMs",
  devicePollInterval: "devicePollIntervalMs",
} as const satisfies Partial<Record<keyof FileIssuerSection, keyof IssuerSettings>>;

/** The issuer's settings (durations in ms), without the URL. */
export function issuerSettings(s: FileIssuerSection, problems: Problems): IssuerSettings {
  const out: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(DURATIONS)) {
    const value = s[field as keyof typeof DURATIONS];
    if (value === undefined) continue;
    const ms = parseDuration({ value, path: `issuer.${field}` }, problems);
    if (ms === 0 && field !== "refreshReuseGrace") problems.add(`issuer.${field}`, "must be longer than 0");
    if (ms !== undefined) out[key] = ms;
  }
  if (s.signingAlg !== undefined) out["signingAlg"] = s.signingAlg;
  if (s.passwordConnector !== undefined) out["passwordConnector"] = s.passwordConnector;
  if (s.allowMockConnector !== undefined) out["allowMockConnector"] = s.allowMockConnector;
  if (s.theme !== undefined) out["theme"] = { ...s.theme };
  return out as IssuerSettings;
}

/** The issuer URL as written (https, no trailing slash), or undefined when left to the listen address. */
export function issuerUrl(s: FileIssuerSection, problems: Problems): string | undefined {
  if (s.url === undefined) return undefined;
  return parseHttpsUrl({ value: s.url, path: "issuer.url" }, problems)?.replace(/\/+$/, "");
}

/** `web.https`, else the issuer URL's port on loopback, else {@link DEFAULT_ISSUER_LISTEN} (movable). */
export function issuerListen(file: ServeFile, url: string | undefined, problems: Problems): ServeListen {
  const https = file.web?.https;
  if (https !== undefined) {
    const at = parseHostPort({ value: https, path: "web.https" }, problems);
    return { ...(at ?? DEFAULT_ISSUER_LISTEN), movable: false };
  }
  if (url === undefined) return { ...DEFAULT_ISSUER_LISTEN, movable: true };
  return { host: DEFAULT_ISSUER_LISTEN.host, port: Number(new URL(url).port || 443), movable: false };
}

/** `web.tlsCertFile` and `web.tlsPrivateKeyFile` come together; `web.caFile` only with them. */
export function issuerTls(file: ServeFile, resolvePath: (p: string) => string, problems: Problems): { tls?: { certFile: string; keyFile: string }; caFile?: string } {
  const web = file.web ?? {};
  if ((web.tlsCertFile === undefined) !== (web.tlsPrivateKeyFile === undefined)) {
    problems.add(web.tlsCertFile === undefined ? "web.tlsCertFile" : "web.tlsPrivateKeyFile", "required with the other one (or leave both out for a generated certificate)");
    return {};
  }
  if (web.tlsCertFile === undefined || web.tlsPrivateKeyFile === undefined) {
    if (web.caFile !== undefined) problems.add("web.caFile", "only with web.tlsCertFile (the generated certificate's CA is trusted already)");
    return {};
  }
  return {
    tls: { certFile: resolvePath(web.tlsCertFile), keyFile: resolvePath(web.tlsPrivateKeyFile) },
    ...(web.caFile !== undefined ? { caFile: resolvePath(web.caFile) } : {}),
  };
}

/**
 * The `kubeward proxy` flags: names and types as kube-oidc-proxy spells them,
 * their defaults, the kube-oidc-proxy flags kubeward refuses, and the usage text.
 */

/** How a flag's value is read. `list`, `map` and `multimap` repeat and split on commas, like pflag's slices and maps. */
export type FlagType = "string" | "boolean" | "list" | "map" | "multimap";

export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  readonly short?: string;
  /** Placeholder for the value in the usage text. */
  readonly arg?: string;
  readonly help: string;
  /** The default as the usage text shows it. */
  readonly shown?: string;
  readonly group: "OIDC" | "Upstream" | "Serving" | "Identity" | "Process";
  /** The config-file field this flag sets: under `oidc` for the OIDC group, top-level otherwise. */
  readonly key?: string;
}

/** The defaults applied when neither a flag nor the config file sets a value. */
export const DEFAULTS = {
  usernameClaim: "sub",
  signingAlgs: ["RS256"],
  securePort: 6443,
  bindAddress: "0.0.0.0",
  readinessProbePort: 8080,
  flushInterval: "50ms",
  shutdownGracePeriod: "30s",
  maxRequestHeaderBytes: 1_048_576,
  logLevel: "info",
} as const;

/** Every flag `kubeward proxy` accepts. */
export const FLAGS: readonly FlagSpec[] = [
  { name: "oidc-issuer-url", key: "issuerURL", type: "string", arg: "URL", group: "OIDC", help: "The issuer's URL, exactly as the tokens' iss claim (https)." },
  { name: "oidc-client-id", key: "clientID", type: "string", arg: "ID", group: "OIDC", help: "The client id; tokens' aud must contain it." },
  { name: "oidc-ca-file", key: "caFile", type: "string", arg: "FILE", group: "OIDC", help: "PEM CA bundle for the issuer's TLS (system roots when unset)." },
  { name: "oidc-username-claim", key: "usernameClaim", type: "string", arg: "CLAIM", group: "OIDC", shown: DEFAULTS.usernameClaim, help: "Claim used as the Kubernetes username." },
  { name: "oidc-username-prefix", key: "usernamePrefix", type: "string", arg: "PREFIX", group: "OIDC", help: "Prefix put before usernames. Unset: '<issuer-url>#' unless the claim is email; '-' for none." },
  { name: "oidc-groups-claim", key: "groupsClaim", type: "string", arg: "CLAIM", group: "OIDC", help: "Claim holding the user's groups (string or list)." },
  { name: "oidc-groups-prefix", key: "groupsPrefix", type: "string", arg: "PREFIX", group: "OIDC", help: "Prefix put before every group." },
  { name: "oidc-signing-algs", key: "signingAlgs", type: "list", arg: "ALG,...", group: "OIDC", shown: DEFAULTS.signingAlgs.join(","), help: "Accepted JWS algorithms: RS256 RS384 RS512 ES256 ES384 ES512 PS256 PS384 PS512." },
  { name: "oidc-required-claim", key: "requiredClaims", type: "map", arg: "KEY=VALUE", group: "OIDC", help: "A claim that must be present with this string value; repeatable." },
  { name: "kubeconfig", key: "kubeconfig", type: "string", arg: "FILE", group: "Upstream", help: "kube-apiserver's address and the proxy's own credentials (in-cluster config when unset)." },
  { name: "context", key: "context", type: "string", arg: "NAME", group: "Upstream", help: "Context in --kubeconfig to use (its current context when unset)." },
  { name: "secure-port", key: "securePort", type: "string", arg: "PORT", group: "Serving", shown: String(DEFAULTS.securePort), help: "HTTPS port the proxy listens on." },
  { name: "bind-address", key: "bindAddress", type: "string", arg: "IP", group: "Serving", shown: DEFAULTS.bindAddress, help: "Address the proxy listens on." },
  { name: "tls-cert-file", key: "tlsCertFile", type: "string", arg: "FILE", group: "Serving", help: "PEM serving certificate (chain) for the proxy; required." },
  { name: "tls-private-key-file", key: "tlsPrivateKeyFile", type: "string", arg: "FILE", group: "Serving", help: "PEM private key matching --tls-cert-file; required." },
  { name: "metrics-serving-address", key: "metricsServingAddress", type: "string", arg: "HOST:PORT", group: "Serving", help: "Plain-HTTP /metrics, /healthz and /readyz (off when unset)." },
  { name: "readiness-probe-port", key: "readinessProbePort", short: "P", type: "string", arg: "PORT", group: "Serving", shown: String(DEFAULTS.readinessProbePort), help: "Plain-HTTP port answering GET /ready; 0 turns it off." },
  { name: "flush-interval", key: "flushInterval", type: "string", arg: "DURATION", group: "Serving", shown: DEFAULTS.flushInterval, help: "Accepted for kube-oidc-proxy compatibility; kubeward never buffers responses, so every chunk is sent at once." },
  { name: "max-request-header-bytes", key: "maxRequestHeaderBytes", type: "string", arg: "BYTES", group: "Serving", shown: String(DEFAULTS.maxRequestHeaderBytes), help: "Largest request header block accepted." },
  { name: "extra-user-headers", key: "extraUserHeaders", type: "multimap", arg: "KEY=VALUE", group: "Identity", help: "Extra added to every forwarded identity; a key may repeat to hold several values." },
  { name: "extra-user-header-client-ip", key: "extraUserHeaderClientIP", type: "boolean", group: "Identity", shown: "false", help: "Add the client's address as extra remote-client-ip." },
  { name: "allow-reserved-identities", key: "allowReservedIdentities", type: "boolean", group: "Identity", shown: "false", help: "Let tokens map to system: users and groups (refused by default)." },
  { name: "shutdown-grace-period", key: "shutdownGracePeriod", type: "string", arg: "DURATION", group: "Process", shown: DEFAULTS.shutdownGracePeriod, help: "Longest wait for in-flight requests on SIGTERM." },
  { name: "log-level", key: "logLevel", type: "string", arg: "LEVEL", group: "Process", shown: DEFAULTS.logLevel, help: "fatal, error, warn, info, debug or trace." },
  { name: "config", type: "string", arg: "FILE", group: "Process", help: "YAML file with the same settings in camelCase (oidc may list several issuers); flags override it, and file names in it are relative to it." },
  { name: "version", type: "boolean", group: "Process", help: "Print the version and exit." },
  { name: "help", short: "h", type: "boolean", group: "Process", help: "Print this help and exit." },
];

const KUBECTL = "set the upstream's address and credentials in the --kubeconfig file";
const KLOG = "use --log-level";

/** kube-oidc-proxy (and fork) flags kubeward refuses, with what to do instead. */
export const UNSUPPORTED: Readonly<Record<string, string>> = {
  "token-passthrough": "kubeward always authenticates tokens itself and impersonates the user",
  "token-passthrough-audiences": "kubeward always authenticates tokens itself and impersonates the user",
  "disable-impersonation": "kubeward always impersonates the authenticated user",
  "authentication-config": "list several issuers under oidc in the --config file",
  "trusted-proxies": "kubeward uses the TCP peer's address",
  "allow-reserved-groups": "use --allow-reserved-identities",
  "kube-client-qps": "kubeward does not rate-limit its upstream client",
  "kube-client-burst": "kubeward does not rate-limit its upstream client",
  "cert-dir": "give --tls-cert-file and --tls-private-key-file",
  "tls-sni-cert-key": "give --tls-cert-file and --tls-private-key-file",
  "tls-cipher-suites": "kubeward uses Node's default TLS 1.2+ ciphers",
  "tls-min-version": "kubeward uses Node's default TLS 1.2+ ciphers",
  "http2-max-streams-per-connection": "kubeward uses Node's HTTP/2 defaults",
  "permit-port-sharing": "kubeward does not share its port",
  "permit-address-sharing": "kubeward does not share its address",
  ...Object.fromEntries(["server", "token", "certificate-authority", "client-certificate", "client-key", "insecure-skip-tls-verify", "tls-server-name", "user", "cluster", "namespace", "request-timeout", "username", "password", "cache-dir", "as", "as-group", "as-uid", "disable-compression", "match-server-version"].map((n) => [n, KUBECTL])),
  ...Object.fromEntries(["v", "vmodule", "logtostderr", "alsologtostderr", "log-dir", "log-file", "log-file-max-size", "log-backtrace-at", "log-flush-frequency", "stderrthreshold", "one-output", "skip-headers", "skip-log-headers", "add-dir-header"].map((n) => [n, KLOG])),
};

/** Why a flag is refused, or undefined when it is not a known foreign flag. */
export function unsupportedReason(name: string): string | undefined {
  if (name.startsWith("audit-")) return "kubeward writes no Kubernetes audit log (kube-apiserver's audit log records the impersonated user)";
  return Object.hasOwn(UNSUPPORTED, name) ? UNSUPPORTED[name] : undefined;
}

/** The hint every flag error ends with. */
export const HELP_HINT = "see 'kubeward proxy --help'";

/** The `kubeward proxy --help` text. */
export function proxyUsage(): string {
  const lines = [
    "Usage: kubeward proxy [flags]",
    "",
    "An authenticating reverse proxy for kube-apiserver: verifies OIDC bearer tokens and",
    "forwards each request impersonating the user. Flags accept --flag=value or --flag value.",
  ];
  for (const group of ["OIDC", "Upstream", "Serving", "Identity", "Process"] as const) {
    lines.push("", `${group}:`);
    for (const f of FLAGS.filter((x) => x.group === group)) {
      const head = `${f.short ? `-${f.short}, ` : "    "}--${f.name}${f.arg ? ` ${f.arg}` : ""}`;
      const dflt = f.shown === undefined ? "" : ` (default ${f.shown})`;
      lines.push(`  ${head.padEnd(40)} ${f.help}${dflt}`);
    }
  }
  return lines.join("\n") + "\n";
}

/**
 * The JSON Schema of the `--config` YAML file. Unknown fields are refused
 * everywhere; value checks beyond types (URLs, ports, durations) happen in
 * one place for flags and file alike (src/config/resolve.ts).
 */

const str = { type: "string" } as const;
const nonEmpty = { type: "string", minLength: 1 } as const;
const strings = { type: "array", items: str } as const;

/** One issuer: the `--oidc-*` flags in camelCase, plus audiences, uidClaim and discoveryURL. */
export const issuerSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    issuerURL: str,
    discoveryURL: str,
    clientID: nonEmpty,
    audiences: { type: "array", minItems: 1, items: nonEmpty },
    caFile: str,
    usernameClaim: nonEmpty,
    usernamePrefix: str,
    groupsClaim: nonEmpty,
    groupsPrefix: str,
    uidClaim: nonEmpty,
    signingAlgs: strings,
    requiredClaims: { type: "object", additionalProperties: str },
  },
} as const;

/** The whole file. `oidc` is one issuer or a list of up to 64 (as kube-apiserver's AuthenticationConfiguration allows). */
export const fileSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    oidc: { if: { type: "array" }, then: { type: "array", minItems: 1, maxItems: 64, items: issuerSchema }, else: issuerSchema },
    kubeconfig: str,
    context: str,
    securePort: { type: "integer" },
    bindAddress: str,
    tlsCertFile: str,
    tlsPrivateKeyFile: str,
    metricsServingAddress: str,
    readinessProbePort: { type: "integer" },
    flushInterval: str,
    extraUserHeaders: { type: "object", additionalProperties: { type: ["string", "array"], items: str } },
    extraUserHeaderClientIP: { type: "boolean" },
    allowReservedIdentities: { type: "boolean" },
    shutdownGracePeriod: str,
    maxRequestHeaderBytes: { type: "integer" },
    logLevel: str,
    revocation: {
      type: "object",
      additionalProperties: false,
      properties: {
        sqliteFile: nonEmpty,
        lockingMode: { enum: ["failClosed", "bestEffort"] },
        staleAfter: str,
        pollInterval: str,
        maxTokenAge: str,
        admin: {
          type: "object",
          additionalProperties: false,
          required: ["bindAddress", "securePort", "tlsCertFile", "tlsPrivateKeyFile"],
          properties: { bindAddress: nonEmpty, securePort: { type: "integer" }, tlsCertFile: nonEmpty, tlsPrivateKeyFile: nonEmpty, clientCAFile: nonEmpty, adminGroup: nonEmpty },
        },
      },
    },
  },
} as const;

/** The `revocation` section as written (see docs/revocation.md). */
export interface FileRevocation {
  /** Required by `kubeward proxy`; `kubeward serve` uses its own storage. */
  readonly sqliteFile?: string;
  readonly lockingMode?: "failClosed" | "bestEffort";
  readonly staleAfter?: string;
  readonly pollInterval?: string;
  readonly maxTokenAge?: string;
  readonly admin?: {
    readonly bindAddress: string;
    readonly securePort: number;
    readonly tlsCertFile: string;
    readonly tlsPrivateKeyFile: string;
    readonly clientCAFile?: string;
    readonly adminGroup?: string;
  };
}

/** The file's shape once it passed {@link fileSchema}. */
export interface FileIssuer {
  readonly issuerURL?: string;
  readonly discoveryURL?: string;
  readonly clientID?: string;
  readonly audiences?: readonly string[];
  readonly caFile?: string;
  readonly usernameClaim?: string;
  readonly usernamePrefix?: string;
  readonly groupsClaim?: string;
  readonly groupsPrefix?: string;
  readonly uidClaim?: string;
  readonly signingAlgs?: readonly string[];
  readonly requiredClaims?: Readonly<Record<string, string>>;
}

export interface FileConfig {
  readonly oidc?: FileIssuer | readonly FileIssuer[];
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly securePort?: number;
  readonly bindAddress?: string;
  readonly tlsCertFile?: string;
  readonly tlsPrivateKeyFile?: string;
  readonly metricsServingAddress?: string;
  readonly readinessProbePort?: number;
  readonly flushInterval?: string;
  readonly extraUserHeaders?: Readonly<Record<string, string | readonly string[]>>;
  readonly extraUserHeaderClientIP?: boolean;
  readonly allowReservedIdentities?: boolean;
  readonly shutdownGracePeriod?: string;
  readonly maxRequestHeaderBytes?: number;
  readonly logLevel?: string;
  readonly revocation?: FileRevocation;
}

/**
 * The JSON Schema of `kubeward serve --config`: one file for the embedded
 * issuer and the proxy. The `proxy` section is `kubeward proxy`'s own file
 * schema, reused as is; unknown fields are refused everywhere.
 */
import { fileSchema, type FileConfig } from "../config/schema.ts";

const nonEmpty = { type: "string", minLength: 1 } as const;
const names = { type: "array", items: nonEmpty } as const;
const flag = { type: "boolean" } as const;

const issuerSection = {
  type: "object",
  additionalProperties: false,
  properties: {
    url: nonEmpty,
    idTokenTTL: nonEmpty,
    refreshIdleTTL: nonEmpty,
    refreshAbsoluteTTL: nonEmpty,
    refreshReuseGrace: nonEmpty,
    signingAlg: { type: "string", enum: ["RS256", "ES256"] },
    keyRotationPeriod: nonEmpty,
    deviceCodeTTL: nonEmpty,
    devicePollInterval: nonEmpty,
    passwordConnector: nonEmpty,
    allowMockConnector: flag,
    theme: {
      type: "object",
      additionalProperties: false,
      properties: { name: nonEmpty, logoURL: nonEmpty, primaryColor: nonEmpty, backgroundColor: nonEmpty },
    },
  },
} as const;

const clientEntry = {
  type: "object",
  additionalProperties: false,
  required: ["id", "name"],
  properties: {
    id: nonEmpty,
    name: nonEmpty,
    secretEnv: nonEmpty,
    secretFile: nonEmpty,
    redirectURIs: names,
    trustedPeers: names,
    skipApproval: flag,
    passwordGrant: flag,
    clientCredentials: flag,
  },
} as const;

/** The whole `kubeward serve` file. */
export const serveSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    stateDir: nonEmpty,
    issuer: issuerSection,
    web: {
      type: "object",
      additionalProperties: false,
      properties: { https: nonEmpty, tlsCertFile: nonEmpty, tlsPrivateKeyFile: nonEmpty, caFile: nonEmpty },
    },
    initialAdmin: {
      type: "object",
      additionalProperties: false,
      required: ["email"],
      properties: { email: nonEmpty, username: nonEmpty, groups: names },
    },
    connectors: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["type", "id", "name"],
        properties: { type: nonEmpty, id: nonEmpty, name: nonEmpty, config: { type: "object" } },
      },
    },
    clients: { type: "array", items: clientEntry },
    storage: {
      type: "object",
      additionalProperties: false,
      required: ["type"],
      properties: { type: { type: "string", enum: ["sqlite", "memory"] }, config: { type: "object" } },
    },
    proxy: fileSchema,
  },
} as const;

/** The `issuer` section once it passed the schema. */
export interface FileIssuerSection {
  readonly url?: string;
  readonly idTokenTTL?: string;
  readonly refreshIdleTTL?: string;
  readonly refreshAbsoluteTTL?: string;
  readonly refreshReuseGrace?: string;
  readonly signingAlg?: "RS256" | "ES256";
  readonly keyRotationPeriod?: string;
  readonly deviceCodeTTL?: string;
  readonly devicePollInterval?: string;
  readonly passwordConnector?: string;
  readonly allowMockConnector?: boolean;
  readonly theme?: { readonly name?: string; readonly logoURL?: string; readonly primaryColor?: string; readonly backgroundColor?: string };
}

/** One `clients[]` entry: the secret, when the client is confidential, comes from an environment variable or a file. */
export interface FileClient {
  readonly id: string;
  readonly name: string;
  readonly secretEnv?: string;
  readonly secretFile?: string;
  readonly redirectURIs?: readonly string[];
  readonly trustedPeers?: readonly string[];
  readonly skipApproval?: boolean;
  readonly passwordGrant?: boolean;
  readonly clientCredentials?: boolean;
}

/** The file's shape once it passed {@link serveSchema}. */
export interface ServeFile {
  readonly stateDir?: string;
  readonly issuer?: FileIssuerSection;
  readonly web?: { readonly https?: string; readonly tlsCertFile?: string; readonly tlsPrivateKeyFile?: string; readonly caFile?: string };
  readonly initialAdmin?: { readonly email: string; readonly username?: string; readonly groups?: readonly string[] };
  readonly connectors?: readonly { readonly type: string; readonly id: string; readonly name: string; readonly config?: Record<string, unknown> }[];
  readonly clients?: readonly FileClient[];
  readonly storage?: { readonly type: "sqlite" | "memory"; readonly config?: Record<string, unknown> };
  readonly proxy?: FileConfig;
}

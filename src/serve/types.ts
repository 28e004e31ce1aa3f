/**
 * The checked, frozen configuration `kubeward serve` runs on, produced by
 * src/serve/load.ts from the config file (or from nothing: the zero-config run).
 */
import type { ListenAddress } from "../config/types.ts";
import type { Settings } from "../config/settings.ts";
import type { FileRevocation } from "../config/schema.ts";
import type { IssuerClientConfig, IssuerConfig } from "../issuer/config.ts";
import type { ConnectorConfig } from "../issuer/connectors/registry.ts";
import type { StorageConfig } from "../issuer/storage/registry.ts";

/** A listen address, and whether another free port may be taken when it is busy (the user did not choose it). */
export interface ServeListen extends ListenAddress {
  readonly movable: boolean;
}

/** The issuer's settings besides those serve decides itself (URL, clients, secrets). */
export type IssuerSettings = Omit<IssuerConfig, "issuerURL" | "clients" | "secretKeys">;

/** The user who may log in on a first run, created once with a random password. */
export interface InitialAdmin {
  readonly email: string;
  readonly username: string;
  readonly groups: readonly string[];
}

export interface ServeConfig {
  /** Owner-only directory holding the CA, certificates, secrets and the sqlite database. */
  readonly stateDir: string;
  /** The issuer URL; undefined means `https://127.0.0.1:<the port listened on>`. */
  readonly issuerUrl: string | undefined;
  readonly issuer: IssuerSettings;
  /** Where the issuer serves HTTPS. */
  readonly issuerListen: ServeListen;
  /** The issuer's own certificate; generated under the state dir when absent. */
  readonly issuerTls?: { readonly certFile: string; readonly keyFile: string };
  /** The CA the proxy trusts the issuer with, when the issuer's certificate is not generated; system roots when absent. */
  readonly issuerCaFile?: string;
  readonly initialAdmin?: InitialAdmin;
  /** Connector entries, checked against their schemas; opened at start. */
  readonly connectors: readonly ConnectorConfig[];
  readonly clients: readonly IssuerClientConfig[];
  readonly storage: StorageConfig;
  /** The `proxy` section's raw settings (paths prefixed `proxy.`), resolved at start once certificates exist. */
  readonly proxy: Settings;
  /** The proxy's upstream kubeconfig was chosen by the user (a problem with it is an error, not a disabled proxy). */
  readonly upstreamChosen: boolean;
  /** `proxy.revocation` as written, and the directory its file names are relative to (docs/revocation.md). */
  readonly revocation?: { readonly section: FileRevocation; readonly baseDir: string };
}

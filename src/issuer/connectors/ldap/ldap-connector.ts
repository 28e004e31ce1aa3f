/**
 * The `ldap` connector (OpenLDAP, Active Directory…): finds the user with the
 * service account, binds as the user to check the password, reads groups; a
 * refresh re-reads the user by DN and its current groups.
 */
import type { Client, Entry } from "ldapts";
import { KubewardError } from "../../../errors.ts";
import type { Logger } from "../../../log/logger.ts";
import type { ConnectorDeps, Identity, PasswordConnector, RefreshConnector, Scopes } from "../connector.ts";
import { checkLdapConfig, type LdapConfig, type LdapTarget } from "./ldap-config.ts";
import { findUsers, groupsOf, identityOf, readUser } from "./ldap-search.ts";
import { connect, isInvalidCredentials, ldapError } from "./ldap-session.ts";

/** What an ldap identity keeps to refresh: the user's entry DN. */
interface LdapConnectorData {
  readonly dn: string;
}

/** An ldap connector over one directory; see {@link openLdapConnector}. */
class LdapConnector implements PasswordConnector, RefreshConnector {
  readonly type = "ldap";
  readonly id: string;
  readonly name: string;
  readonly usernamePrompt: string;
  readonly #config: LdapConfig;
  readonly #target: LdapTarget;
  readonly #log: Logger;

  constructor(id: string, name: string, config: LdapConfig, target: LdapTarget, deps: ConnectorDeps) {
    this.id = id;
    this.name = name;
    this.usernamePrompt = config.usernamePrompt ?? "Username";
    this.#config = config;
    this.#target = target;
    this.#log = deps.logger.child({ connector: id });
  }

  async login(scopes: Scopes, username: string, password: string): Promise<Identity | undefined> {
    // An empty password is an unauthenticated bind (RFC 4513 §5.1.2), which many servers accept as success.
    if (username === "" || password === "") return undefined;
    return this.#session("login", async (client) => {
      const entries = await findUsers(client, this.#config, username);
      if (entries.length > 1) throw new KubewardError("connector_refused", `ldap connector: ${entries.length} entries match username ${JSON.stringify(username)}; make userSearch match one`);
      const [entry] = entries;
      if (entry === undefined) return this.#refused(username, "no such user");
      try {
        await client.bind(entry.dn, password);
      } catch (e) {
        if (isInvalidCredentials(e)) return this.#refused(username, "wrong password");
        throw ldapError(e, "binding as the user");
      }
      await this.#bindService(client);
      const identity = await this.#identity(client, entry, scopes);
      this.#log.info({ user: identity.username, groups: identity.groups.length }, "ldap login");
      return identity;
    });
  }

  async refresh(scopes: Scopes, previous: Identity): Promise<Identity> {
    const dn = (previous.connectorData as Partial<LdapConnectorData> | undefined)?.dn;
    if (typeof dn !== "string") throw new KubewardError("connector_refused", "ldap connector refresh: the identity has no DN");
    return this.#session("refresh", async (client) => {
      const entry = await readUser(client, this.#config, dn);
      if (entry === undefined) throw new KubewardError("connector_refused", `ldap connector refresh: ${dn} no longer exists or no longer passes userSearch.filter`);
      const identity = await this.#identity(client, entry, scopes);
      if (identity.userID !== previous.userID) throw new KubewardError("connector_refused", `ldap connector refresh: ${dn} now has another ${this.#config.userSearch.idAttr}`);
      return identity;
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async #identity(client: Client, entry: Entry, scopes: Scopes): Promise<Identity> {
    const groups = await groupsOf(client, this.#config, entry, scopes);
    return { ...identityOf(entry, this.#config), groups, connectorData: { dn: entry.dn } satisfies LdapConnectorData };
  }

  /** One connection for one operation, bound as the service account (or anonymous), closed afterwards. */
  async #session<T>(phase: string, work: (client: Client) => Promise<T>): Promise<T> {
    let client: Client | undefined;
    try {
      client = await connect(this.#config, this.#target);
      await this.#bindService(client);
      return await work(client);
    } catch (e) {
      const err = ldapError(e, phase);
      this.#log.warn({ code: err.code, reason: err.detail }, `ldap ${phase} failed`);
      throw err;
    } finally {
      await client?.unbind().catch(() => undefined);
    }
  }

  async #bindService(client: Client): Promise<void> {
    const { bindDN, bindPW } = this.#config;
    if (bindDN === undefined || bindPW === undefined) return;
    try {
      await client.bind(bindDN, bindPW);
    } catch (e) {
      throw ldapError(e, `binding as the service account ${bindDN}`);
    }
  }

  #refused(username: string, reason: string): undefined {
    this.#log.info({ user: username, reason }, "ldap login refused");
    return undefined;
  }
}

/**
 * Opens an ldap connector. Nothing is contacted until the first login, so
 * kubeward starts while the directory is down.
 *
 * @throws {@link ConfigError} (paths relative to `config`) for an unreadable root CA or conflicting fields.
 */
export async function openLdapConnector(id: string, name: string, config: LdapConfig, deps: ConnectorDeps): Promise<PasswordConnector & RefreshConnector> {
  return new LdapConnector(id, name, config, await checkLdapConfig(config), deps);
}

/** The registry entry for `ldap`. */

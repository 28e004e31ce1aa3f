/** What the login routes share: their dependencies, and loading the interaction a request belongs to. */
import type { RevocationPolicy } from "../../revocation/policy.ts";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Interaction, OidcClient, Provider } from "oidc-provider";
import type { Clock } from "../../clock.ts";
import { KubewardError } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import type { ResolvedIssuerConfig } from "../config.ts";
import type { Connector, Identity } from "../connectors/connector.ts";
import type { IssuerMetrics } from "../metrics.ts";
import type { Storage } from "../storage/storage.ts";
import type { Sealer } from "../provider/sealing.ts";
import type { Csrf } from "./csrf.ts";
import type { PageContext } from "./layout.ts";

/** Dependencies of the login routes. */
export interface WebDeps {
  /** The provider serving now (it is rebuilt when keys rotate). */
  provider(): Provider;
  readonly config: ResolvedIssuerConfig;
  readonly connectors: ReadonlyMap<string, Connector>;
  readonly storage: Storage;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: IssuerMetrics;
  readonly csrf: Csrf;
  readonly sealer: Sealer;
  readonly page: PageContext;
  /** The issuer URL's path, "" at the root; every route is under it. */
  readonly prefix: string;
  /** Revocations and blocks: a blocked user's login ends on an error page. */
  readonly revocation?: RevocationPolicy;
}

/** What kubeward keeps in an interaction's result between the login and the approval, opened. */
export interface PendingLogin {
  readonly connectorId: string;
  readonly identity?: Identity;
  /** What a callback connector saved for its callback. */
  readonly saved?: Readonly<Record<string, string>>;
}

/** As stored: the identity or the callback's saved values sealed, since the interaction sits in storage. */
interface StoredPending {
  readonly connectorId?: unknown;
  readonly sealed?: unknown;
}

/** The pending login kept in an interaction's result, opened; undefined when there is none or it does not open. */
export function openPending(stored: StoredPending | undefined, sealer: Sealer): PendingLogin | undefined {
  if (typeof stored?.connectorId !== "string" || typeof stored.sealed !== "string") return undefined;
  const value = sealer.open(stored.sealed) as (Identity & Record<string, string>) | undefined;
  if (value === undefined) return undefined;
  return typeof value.userID === "string"
    ? { connectorId: stored.connectorId, identity: value }
    : { connectorId: stored.connectorId, saved: value };
}

/** An interaction loaded for a request, with its client. */
export interface InteractionView {
  readonly uid: string;
  readonly details: Interaction;
  readonly client: OidcClient;
  readonly pending: PendingLogin | undefined;
}

/** The client's display name. */
export function clientName(client: OidcClient): string {
  return typeof client.clientName === "string" && client.clientName !== "" ? client.clientName : client.clientId;
}

/**
 * The interaction this browser is in, which must be `uid`.
 * @throws {@link KubewardError} `request_invalid` when there is none (expired, other browser, tampered uid).
 */
export async function loadInteraction(deps: WebDeps, req: IncomingMessage, res: ServerResponse, uid: string): Promise<InteractionView> {
  let details: Interaction;
  try {
    details = await deps.provider().interactionDetails(req, res);
  } catch (e) {
    throw new KubewardError("request_invalid", `no interaction for this browser: ${String(e)}`);
  }
  if (details.uid !== uid) throw new KubewardError("request_invalid", "interaction uid does not match the browser's");
  const client = await deps.provider().Client.find(String(details.params.client_id));
  if (client === undefined) throw new KubewardError("request_invalid", "interaction client no longer exists");
  const pending = openPending(details.result?.kubeward as StoredPending | undefined, deps.sealer);
  return { uid, details, client, pending };
}

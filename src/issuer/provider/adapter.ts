/**
 * The issuer's oidc-provider adapter: storage's adapter, plus clients read
 * from storage and config, refresh-token reuse detection with a grace window,
 * device-code polling discipline, and device codes kept past their expiry so
 * a late poll hears `expired_token` rather than `invalid_grant`.
 */
import { Provider } from "oidc-provider";
import type { Clock } from "../../clock.ts";
import { oidcAdapterFor, type AdapterPayload, type OidcAdapterClass } from "../storage/oidc-adapter.ts";
import type { Storage } from "../storage/storage.ts";
import { DEVICE_CODE_GRANT } from "./clients.ts";
import type { DevicePolling } from "./device-polling.ts";

/** What the adapter consults besides storage. */
export interface AdapterHooks {
  readonly storage: Storage;
  readonly clock: Clock;
  /** A rotated refresh token presented within this long after its rotation is honoured again. */
  readonly reuseGraceMs: number;
  /** How long a device code is kept after it expires. */
  readonly deviceCodeRetentionMs: number;
  readonly polling: DevicePolling;
  /** oidc-provider metadata of a client, or undefined. */
  client(id: string): Promise<AdapterPayload | undefined>;
  /** A spent refresh token came back after the grace window: the family must end. */
  onReuse(grantId: string): Promise<void>;
}

/** True while oidc-provider serves a token request of `grantType`. */
function isGrant(grantType: string): boolean {
  const ctx = Provider.ctx;
  return ctx?.oidc.route === "token" && ctx.oidc.params?.grant_type === grantType;
}

/**
 * Finds a refresh token for a refresh grant, hiding a consumption younger
 * than the grace window and reporting older reuse. Elsewhere (introspection,
 * revocation) a rotated token is simply consumed.
 */
async function findRefreshToken(h: AdapterHooks, id: string): Promise<AdapterPayload | undefined> {
  const object = await h.storage.findObject("RefreshToken", id);
  if (object === undefined) return undefined;
  const payload: AdapterPayload = { ...object.payload };
  if (object.consumedAt === undefined) return payload;
  const consumed = { ...payload, consumed: Math.floor(object.consumedAt / 1000) };
  if (!isGrant("refresh_token")) return consumed;
  if (h.clock.now() - object.consumedAt <= h.reuseGraceMs) return payload;
  if (typeof payload.grantId === "string") await h.onReuse(payload.grantId);
  return consumed;
}

/** The adapter class for oidc-provider's `adapter` option. */
export function issuerAdapter(h: AdapterHooks): OidcAdapterClass {
  const Base = oidcAdapterFor(h.storage, { clock: h.clock });
  return class IssuerAdapter extends Base {
    readonly #model: string;

    constructor(model: string) {
      super(model);
      this.#model = model;
    }

    override async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
      const keep = this.#model === "DeviceCode" && expiresIn !== undefined ? expiresIn + Math.ceil(h.deviceCodeRetentionMs / 1000) : expiresIn;
      await super.upsert(id, payload, keep);
    }

    override async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.#model === "Client") return h.client(id);
      if (this.#model === "RefreshToken") return findRefreshToken(h, id);
      if (this.#model === "DeviceCode" && isGrant(DEVICE_CODE_GRANT)) h.polling.poll(id);
      return super.find(id);
    }
  };
}

/**
 * The device authorization grant (RFC 8628): prints where to go and the code
 * to type (with a QR code of the complete URL when stderr is a terminal),
 * then polls the token endpoint until the user has logged in.
 */
import * as oidc from "openid-client";
import { renderUnicodeCompact } from "uqr";
import { KubewardError } from "../../errors.ts";
import { scopeOf, type GrantContext, type TokenResponse } from "./grant.ts";

/** Logs in with a code typed on another device. */
export async function deviceGrant(ctx: GrantContext): Promise<TokenResponse> {
  if (ctx.config.serverMetadata().device_authorization_endpoint === undefined) {
    throw new KubewardError("login_failed", "the issuer has no device_authorization_endpoint; choose another --grant-type");
  }
  const device = await oidc.initiateDeviceAuthorization(ctx.config, { scope: scopeOf(ctx) });
  ctx.stderr(`kubeward login: visit ${device.verification_uri} and enter the code ${device.user_code}\n`);
  const complete = device.verification_uri_complete;
  if (complete !== undefined) {
    ctx.stderr(`kubeward login: or open ${complete}\n`);
    if (ctx.stderrIsTTY) ctx.stderr(renderUnicodeCompact(complete) + "\n");
  }
  return oidc.pollDeviceAuthorizationGrant(ctx.config, device, undefined, { signal: ctx.signal });
}

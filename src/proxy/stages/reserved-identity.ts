/**
 * Stage "reserved identities": a token must not map to a `system:` user or
 * group (system:masters, system:serviceaccount:…) unless the operator allows it.
 */
import type { UserInfo } from "../../auth/authenticator.ts";
import { KubewardError } from "../../errors.ts";

const RESERVED_PREFIX = "system:";

/** Throws identity_reserved when `user` uses a reserved name and `allowReserved` is false. */
export function checkReservedIdentity(user: UserInfo, allowReserved: boolean): void {
  if (allowReserved) return;
  if (user.username.startsWith(RESERVED_PREFIX)) {
    throw new KubewardError("identity_reserved", `username ${JSON.stringify(user.username)} is reserved`);
  }
  const group = user.groups.find((g) => g.startsWith(RESERVED_PREFIX));
  if (group !== undefined) {
    throw new KubewardError("identity_reserved", `group ${JSON.stringify(group)} is reserved`);
  }
}

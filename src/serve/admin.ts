/**
 * The initial admin: created in the issuer's password store on the first
 * start with a random password, which is shown once (to the terminal, never
 * to the log) and kept only as a bcrypt hash.
 */
import { randomBytes, randomUUID } from "node:crypto";
import bcrypt from "bcryptjs";
import type { PasswordStore } from "../issuer/storage/storage.ts";
import type { InitialAdmin } from "./types.ts";

const BCRYPT_COST = 10;

/**
 * Creates `admin` unless the store has that email already. `show` receives
 * the password before it is stored: if the process dies in between, the next
 * start makes another, rather than keeping one nobody has seen.
 *
 * @returns true when the admin was created now.
 */
export async function ensureInitialAdmin(store: PasswordStore, admin: InitialAdmin, show: (password: string) => void): Promise<boolean> {
  if ((await store.getPassword(admin.email)) !== undefined) return false;
  const password = randomBytes(15).toString("base64url");
  const hash = await bcrypt.hash(password, BCRYPT_COST);
  show(password);
  await store.createPassword({ email: admin.email, hash, username: admin.username, userID: randomUUID(), groups: [...admin.groups] });
  return true;
}

/** Generates signing keys as private JWKs with a thumbprint kid (RS256: RSA 2048; ES256: P-256). */
import { generateKeyPair } from "node:crypto";
import { promisify } from "node:util";
import { calculateJwkThumbprint, type JWK } from "jose";

const generate = promisify(generateKeyPair);

/** The algorithms the issuer signs with. */
export type SigningAlg = "RS256" | "ES256";

/** A new private key in JWK form with `kid`, `alg` and `use: "sig"` set. */
export async function generateSigningJwk(alg: SigningAlg): Promise<JWK & { kid: string }> {
  const { privateKey } = alg === "RS256"
    ? await generate("rsa", { modulusLength: 2048 })
    : await generate("ec", { namedCurve: "P-256" });
  const jwk = privateKey.export({ format: "jwk" }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, "sha256");
  return { ...jwk, kid, alg, use: "sig" };
}

/** The public half of a private JWK (drops every private member). */
export function publicJwk(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, oth: _oth, ...pub } = jwk;
  return pub;
}

/** createAuthenticator against a real HTTPS test issuer passes the authenticator conformance suite. */
import { authenticatorConformance } from "../conformance/authenticator.ts";
import { createAuthenticator } from "../../src/auth/create-authenticator.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log/logger.ts";
import { Metrics } from "../../src/metrics/metrics.ts";
import { issuerConfigFor, startTestIssuer } from "../tools/test-issuer.ts";

authenticatorConformance("createAuthenticator (OIDC)", async () => {
  const issuer = await startTestIssuer();
  const authenticator = createAuthenticator([issuerConfigFor(issuer)], {
    clock: systemClock, logger: createLogger({ level: "silent" }), metrics: new Metrics(),
  });
  const now = Math.floor(Date.now() / 1000);
  return {
    authenticator,
    valid: {
      token: issuer.mint({ sub: "alice", groups: ["dev", "ops"], jti: "j-1" }),
      user: {
        username: `${issuer.url}#alice`, groups: ["dev", "ops"],
        extra: { "authentication.kubernetes.io/credential-id": ["JTI=j-1"] },
      },
    },
    expiredToken: issuer.mint({ iat: now - 3600, exp: now - 60 }),
    cleanup: () => issuer.stop(),
  };
});

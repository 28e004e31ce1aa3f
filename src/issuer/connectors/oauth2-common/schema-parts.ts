/** JSON Schema pieces the OAuth2 connectors' config schemas share. */

export const nonEmpty = { type: "string", minLength: 1 } as const;

/** A non-empty list of distinct non-empty strings. */
export const names = { type: "array", items: nonEmpty, uniqueItems: true, minItems: 1 } as const;

/** An http(s) URL (redirect URIs, and endpoints that may be plain HTTP in development). */
export const httpURL = { type: "string", pattern: "^https?://[^#]+$", description: "an http(s) URL" } as const;

/** The fields every OAuth2 connector has: client credentials and kubeward's callback URL. */
export const clientFields = { clientID: nonEmpty, clientSecret: nonEmpty, redirectURI: httpURL } as const;

/**
 * The client-go exec credential plugin protocol: reads KUBERNETES_EXEC_INFO
 * (the apiVersion kubectl expects, and whether it may interact) and writes
 * the ExecCredential kubectl reads from stdout.
 */

/** The apiVersions client-go speaks, newest first. */
export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

/** What kubectl told the plugin about itself. */
export interface ExecInfo {
  readonly apiVersion: ExecApiVersion;
  /** Whether stdin is the user's terminal; undefined when kubectl did not say (run by hand). */
  readonly interactive: boolean | undefined;
}

/**
 * Reads `KUBERNETES_EXEC_INFO`. Unset, it means v1 (newest) and unknown interactivity;
 * set but unreadable, or with an apiVersion kubeward does not speak, it throws
 * with a message to print after the variable's name.
 *
 * @example
 * ```ts
 * readExecInfo('{"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","spec":{"interactive":true}}')
 * // { apiVersion: "client.authentication.k8s.io/v1beta1", interactive: true }
 * ```
 */
export function readExecInfo(raw: string | undefined): ExecInfo {
  if (raw === undefined || raw.trim() === "") return { apiVersion: EXEC_API_VERSIONS[0], interactive: undefined };
  let info: unknown;
  try {
    info = JSON.parse(raw);
  } catch {
    throw new Error("is not JSON");
  }
  const obj = isObject(info) ? info : {};
  const apiVersion = EXEC_API_VERSIONS.find((v) => v === obj["apiVersion"]);
  if (apiVersion === undefined) {
    throw new Error(`asks for apiVersion ${JSON.stringify(obj["apiVersion"]) ?? "(none)"}; kubeward speaks ${EXEC_API_VERSIONS.join(" and ")}`);
  }
  const spec = isObject(obj["spec"]) ? obj["spec"] : {};
  return { apiVersion, interactive: typeof spec["interactive"] === "boolean" ? spec["interactive"] : undefined };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** RFC 3339 in UTC without fractional seconds, as Go's metav1.Time marshals. */
export function rfc3339(epochMs: number): string {
  return new Date(Math.floor(epochMs / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/**
 * The ExecCredential JSON (one line and a newline) carrying `token`, which
 * kubectl may reuse until `expiresAt` (milliseconds since the epoch).
 */
export function execCredential(apiVersion: ExecApiVersion, token: string, expiresAt: number | undefined): string {
  const status = expiresAt === undefined ? { token } : { token, expirationTimestamp: rfc3339(expiresAt) };
  return JSON.stringify({ kind: "ExecCredential", apiVersion, status }) + "\n";
}

/**
 * The admin API's client, for the CLI: HTTPS to `--server`, trusting
 * `--certificate-authority`, with a client certificate or a bearer token.
 */
import { request } from "node:https";

/** How to reach and authenticate to the admin API. */
export interface AdminClientOptions {
  readonly server: string;
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly token?: string;
}

/** An answer from the admin API. */
export interface AdminResponse {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Sends one request; rejects only when the server cannot be reached.
 *
 * @example
 * const { status, body } = await adminRequest(options, "GET", "/v1/revocations");
 */
export function adminRequest(options: AdminClientOptions, method: string, path: string, body?: unknown): Promise<AdminResponse> {
  const url = new URL(path, options.server);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method, agent: false,
      ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      ...(options.certPem === undefined ? {} : { cert: options.certPem }),
      ...(options.keyPem === undefined ? {} : { key: options.keyPem }),
      headers: {
        ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
        ...(text === undefined ? {} : { "content-type": "application/json" }),
      },
    }, (res) => {
      let data = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { data += c; });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: parse(data) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(text);
  });
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

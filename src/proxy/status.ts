/**
 * The one place an error on the API path becomes a Kubernetes `Status`
 * (metav1.Status) and is written, to an HTTP response or to a raw socket.
 */
import type { Duplex } from "node:stream";
import { STATUS_CODES } from "../node-http.ts";
import { KubewardError, type ErrorCode } from "../errors.ts";

/** metav1.StatusDetails, as far as kubeward fills it. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
}

/** A Kubernetes `Status` object with status Failure. */
export interface Status {
  readonly kind: "Status";
  readonly apiVersion: "v1";
  readonly metadata: Record<string, never>;
  readonly status: "Failure";
  readonly message: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

/**
 * A {@link KubewardError} whose Status message is spelled the way
 * kube-apiserver spells it (for example an impersonation 403), because
 * clients show it verbatim. The message must not carry internal detail.
 */
export class KubeStatusError extends KubewardError {
  readonly publicMessage: string;
  readonly details: StatusDetails | undefined;

  constructor(code: ErrorCode, publicMessage: string, detail?: string, details?: StatusDetails) {
    super(code, detail);
    this.publicMessage = publicMessage;
    this.details = details;
  }
}

const REASONS: Readonly<Record<number, string>> = {
  400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 500: "InternalError",
  502: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
};

/** Turns any error into a Status; anything that is not a KubewardError is an internal error. */
export function toStatus(err: unknown): Status {
  const e = err instanceof KubewardError ? err : new KubewardError("internal");
  // kube-apiserver answers every authentication failure with this exact body.
  if (e.status === 401) return base(401, "Unauthorized", "Unauthorized");
  const message = e instanceof KubeStatusError ? e.publicMessage : e.message;
  const details = e instanceof KubeStatusError ? e.details : undefined;
  return { ...base(e.status, message, REASONS[e.status]), ...(details ? { details } : {}) };
}

function base(code: number, message: string, reason: string | undefined): Status {
  return {
    kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message,
    ...(reason ? { reason } : {}), code,
  };
}

/** The minimal response interface shared by HTTP/1.1 responses and HTTP/2 streams (Http2Response). */
export interface StatusResponse {
  readonly headersSent: boolean;
  writeHead(code: number, headers: Record<string, string | number>): unknown;
  end(body: string): unknown;
}

/** Writes `status` as the whole response. */
export function sendStatus(res: StatusResponse, status: Status): void {
  const body = JSON.stringify(status);
  res.writeHead(status.code, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** Writes `status` as an HTTP/1.1 response on a raw socket (upgrades, client errors) and ends it. */
export function writeStatusToSocket(socket: Duplex, status: Status): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify(status);
  socket.end(
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? "Error"}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

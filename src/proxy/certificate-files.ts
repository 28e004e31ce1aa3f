/**
 * The proxy's serving certificate: read from config.tlsCertFile and
 * tlsPrivateKeyFile, and re-read periodically so a rotated certificate (a
 * cert-manager Secret updated in place) is served without a restart.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext, type Server } from "node:tls";
import type { Logger } from "../log/logger.ts";

/** A PEM certificate chain and its private key. */
export interface ServingCertificate {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** Reads the pair and checks that the key matches the certificate (throws otherwise). */
export async function loadServingCertificate(certFile: string, keyFile: string): Promise<ServingCertificate> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  createSecureContext({ cert, key });
  return { cert, key };
}

/**
 * Re-reads the files every `intervalMs` and swaps the server's certificate
 * when they changed. A half-written pair (new certificate, old key) fails
 * the check and is retried on the next tick; the old certificate stays.
 */
export function reloadServingCertificate(
  server: Server, files: { certFile: string; keyFile: string }, current: ServingCertificate,
  options: { intervalMs: number; logger: Logger },
): { stop(): void } {
  let served = current;
  const tick = async () => {
    try {
      const next = await loadServingCertificate(files.certFile, files.keyFile);
      if (next.cert.equals(served.cert) && next.key.equals(served.key)) return;
      server.setSecureContext({ cert: next.cert, key: next.key });
      served = next;
      options.logger.info("serving certificate reloaded");
    } catch (err) {
      options.logger.warn({ err: (err as Error).message }, "serving certificate not reloaded; keeping the current one");
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

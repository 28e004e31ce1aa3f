/**
 * A certificate and its key read from files, and re-read periodically so a
 * rotated pair (a cert-manager Secret updated in place, a renewed client
 * certificate) is used without a restart: the proxy's serving certificate,
 * and the client certificate it presents to kube-apiserver.
 */
import { readFile } from "node:fs/promises";
import { createSecureContext } from "node:tls";
import type { Logger } from "../log/logger.ts";

/** A PEM certificate chain and its private key. */
export interface CertificatePair {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** The files a pair is read from. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Reads the pair and checks that the key matches the certificate (throws otherwise). */
export async function loadCertificatePair({ certFile, keyFile }: CertificateFiles): Promise<CertificatePair> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  createSecureContext({ cert, key });
  return { cert, key };
}

/**
 * Re-reads the files every `intervalMs` and calls `use` with the pair when
 * it changed. A half-written pair (new certificate, old key) fails the check
 * and is retried on the next tick; the current pair stays. `what` names the
 * pair in the log lines ("serving certificate reloaded").
 */
export function watchCertificatePair(
  files: CertificateFiles, current: CertificatePair, options: { intervalMs: number; logger: Logger; what: string },
  use: (pair: CertificatePair) => void,
): { stop(): void } {
  let used = current;
  const tick = async () => {
    try {
      const next = await loadCertificatePair(files);
      if (next.cert.equals(used.cert) && next.key.equals(used.key)) return;
      use(next);
      used = next;
      options.logger.info(`${options.what} reloaded`);
    } catch (err) {
      options.logger.warn({ err: (err as Error).message }, `${options.what} not reloaded; keeping the current one`);
    }
  };
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

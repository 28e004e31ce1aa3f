/**
 * The kernel's timer on each IPv4 TCP socket of this machine, from
 * /proc/net/tcp: whether a connection has TCP keep-alive is a fact of the
 * kernel, not of the process. Timer 2 is keep-alive; `seconds` is the time
 * until it fires.
 */
import { readFile } from "node:fs/promises";

export interface TcpTimer {
  readonly local: number;
  readonly remote: number;
  readonly timer: number;
  readonly seconds: number;
}

export const KEEPALIVE_TIMER = 2;

export async function tcpTimers(): Promise<TcpTimer[]> {
  const lines = (await readFile("/proc/net/tcp", "utf8")).trim().split("\n").slice(1);
  return lines.map((line) => {
    const [, local, remote, , , timer] = line.trim().split(/\s+/) as string[];
    const [kind, when] = (timer ?? "0:0").split(":");
    return {
      local: parseInt((local ?? "").split(":")[1] ?? "", 16), remote: parseInt((remote ?? "").split(":")[1] ?? "", 16),
      timer: parseInt(kind ?? "", 16), seconds: parseInt(when ?? "", 16) / 100,
    };
  });
}

/**
 * A real OpenLDAP server for tests: Debian's slapd on 127.0.0.1 (ldap:// with
 * StartTLS, and ldaps://), seeded from test/fixtures/ldap, with the memberof
 * and ppolicy overlays. Changed with the real ldapmodify; stopped by stop().
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createCertificateAuthority, issueCertificate } from "../../src/pki/certificates.ts";
import { startProcess, type ChildHandle } from "../fixtures/cluster/process.ts";
import { freePort, waitFor } from "../fixtures/cluster/wait.ts";

const run = promisify(execFile);
const FIXTURES = new URL("../fixtures/ldap/", import.meta.url).pathname;
const BINARIES: Readonly<Record<string, string>> = {
  "/usr/sbin/slapd": "slapd", "/usr/sbin/slapadd": "slapd", "/usr/bin/ldapadd": "ldap-utils", "/usr/bin/ldapmodify": "ldap-utils",
};

/** The seeded tree's base, admin (rootdn) and service account. */
export const LDAP_BASE = "dc=example,dc=org";
export const LDAP_ADMIN = { dn: `cn=admin,${LDAP_BASE}`, password: "admin" } as const;
export const LDAP_SERVICE = { dn: `cn=kubeward,ou=Services,${LDAP_BASE}`, password: "service-account-pw" } as const;

/** A running slapd. */
export interface Slapd {
  /** `127.0.0.1:port` of plain LDAP (StartTLS offered). */
  readonly host: string;
  /** `127.0.0.1:port` of LDAPS. */
  readonly tlsHost: string;
  /** The CA that signed the server certificate (for 127.0.0.1), PEM. */
  readonly caPem: string;
  /** Applies an LDIF change (changetype records) as the admin, with ldapmodify. */
  modify(ldif: string): Promise<void>;
  /** Stops slapd and removes its files. */
  stop(): Promise<void>;
}

function requireBinaries(): void {
  for (const [bin, pkg] of Object.entries(BINARIES)) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing: install the Debian package ${pkg} (apt-get install -y slapd ldap-utils)`);
  }
}

function slapdConf(dir: string): string {
  return [
    ...["core", "cosine", "inetorgperson", "nis"].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${dir}/slapd.pid`, `argsfile ${dir}/slapd.args`,
    "modulepath /usr/lib/ldap", "moduleload back_mdb", "moduleload memberof", "moduleload ppolicy",
    `TLSCACertificateFile ${dir}/ca.pem`, `TLSCertificateFile ${dir}/server.pem`, `TLSCertificateKeyFile ${dir}/server.key`,
    "database mdb", "maxsize 104857600", `suffix "${LDAP_BASE}"`, `rootdn "${LDAP_ADMIN.dn}"`, `rootpw ${LDAP_ADMIN.password}`,
    `directory ${dir}/db`,
    "overlay memberof",
    "overlay ppolicy", `ppolicy_default "cn=default,ou=Policies,${LDAP_BASE}"`,
    "access to attrs=userPassword by self write by anonymous auth by * none",
    "access to * by * read",
    "",
  ].join("\n");
}

async function writeFiles(dir: string): Promise<string> {
  const ca = await createCertificateAuthority("kubeward test LDAP CA");
  const server = await issueCertificate(ca, { commonName: "127.0.0.1", hosts: ["127.0.0.1", "localhost"], usage: "server" });
  await mkdir(join(dir, "db"));
  await writeFile(join(dir, "ca.pem"), ca.certPem);
  await writeFile(join(dir, "server.pem"), server.certPem);
  await writeFile(join(dir, "server.key"), server.keyPem, { mode: 0o600 });
  await writeFile(join(dir, "slapd.conf"), slapdConf(dir));
  return ca.certPem;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1", () => { s.destroy(); resolve(true); });
    s.once("error", () => resolve(false));
  });
}

/**
 * Starts slapd with the fixture directory: people (jane, john, admin, `st*r`,
 * carol locked by ppolicy, erin with employeeType disabled, dave without a
 * password), groups admins, developers (in engineering) and the posixGroup ops.
 *
 * @throws when slapd or ldap-utils is not installed, naming the Debian package.
 */
export async function startSlapd(): Promise<Slapd> {
  requireBinaries();
  const dir = await mkdtemp(join(tmpdir(), "kubeward-slapd-"));
  let child: ChildHandle | undefined;
  try {
    const caPem = await writeFiles(dir);
    await run("/usr/sbin/slapadd", ["-q", "-f", join(dir, "slapd.conf"), "-l", join(FIXTURES, "people.ldif")]);
    const [port, tlsPort] = [await freePort(), await freePort()];
    child = startProcess("slapd", "/usr/sbin/slapd", ["-f", join(dir, "slapd.conf"), "-h", `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, "-d", "0"], dir);
    const started = child;
    await waitFor(async () => (await listening(port)) && (await listening(tlsPort)), { what: "slapd to listen", timeoutMs: 10_000, intervalMs: 50, process: started });
    const url = `ldap://127.0.0.1:${port}`;
    const admin = ["-x", "-H", url, "-D", LDAP_ADMIN.dn, "-w", LDAP_ADMIN.password];
    await run("/usr/bin/ldapadd", [...admin, "-f", join(FIXTURES, "groups.ldif")]);
    return {
      host: `127.0.0.1:${port}`,
      tlsHost: `127.0.0.1:${tlsPort}`,
      caPem,
      modify: async (ldif) => {
        const file = join(dir, `change-${Date.now()}-${Math.random()}.ldif`);
        await writeFile(file, ldif);
        await run("/usr/bin/ldapmodify", [...admin, "-f", file]);
      },
      stop: async () => {
        await started.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await child?.stop();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

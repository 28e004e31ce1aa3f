/**
 * LDAP end to end: a real slapd behind the issuer's `ldap` password connector, the password grant's ID token
 * through the real `kubeward proxy` CLI, and kube-apiserver seeing the user's email and both LDAP groups.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { decodeJwt } from "jose";
import { createLogger } from "../../../src/log/logger.ts";
import { openConnector } from "../../../src/issuer/connectors/registry.ts";
import { useCluster } from "../../fixtures/cluster/use-cluster.ts";
import { LDAP_BASE, LDAP_SERVICE, startSlapd, type Slapd } from "../../tools/slapd.ts";
import { startIssuerHarness, tokenRequest, type Harness } from "../../integration/issuer-harness.ts";
import { startProxy, type RunningProxy } from "../support/proxy.ts";
import { kubectlOk, parseWhoAmI } from "../support/kubectl.ts";

const cluster = useCluster();
const JANE = { username: "jane", password: "jane-secret-pw", email: "jane@example.org" };
const ROLE = "e2e-ldap-admins";

describe("an LDAP user through the issuer and kubeward proxy to kube-apiserver", () => {
  let slapd: Slapd | undefined;
  let issuer: Harness | undefined;
  let proxy: RunningProxy | undefined;

  /** The password grant at the issuer as the `pw` client (the proxy's client id). */
  const passwordGrant = (username: string, password: string) =>
    tokenRequest(issuer!, { grant_type: "password", username, password, scope: "openid email groups" }, "pw", "pw-secret");

  before(async () => {
    slapd = await startSlapd();
    // The connector entry as an operator writes it (docs/connectors/ldap.md), opened through the registry: LDAPS with the directory's CA.
    const ldap = await openConnector({
      type: "ldap", id: "ldap", name: "Corporate directory",
      config: {
        host: slapd.tlsHost, rootCAData: Buffer.from(slapd.caPem).toString("base64"),
        bindDN: LDAP_SERVICE.dn, bindPW: LDAP_SERVICE.password,
        userSearch: { baseDN: `ou=People,${LDAP_BASE}`, filter: "(objectClass=inetOrgPerson)", username: "uid", idAttr: "uid", emailAttr: "mail", nameAttr: "cn", preferredUsernameAttr: "uid" },
        groupSearch: { baseDN: `ou=Groups,${LDAP_BASE}`, filter: "(objectClass=groupOfNames)", userMatchers: [{ userAttr: "DN", groupAttr: "member" }], nameAttr: "cn" },
      },
    }, { clock: { now: () => Date.now() }, logger: createLogger({ level: "silent" }), fetch: globalThis.fetch }, { path: "connectors[0]" });
    issuer = await startIssuerHarness({ config: { passwordConnector: "ldap" }, extraConnectors: [ldap] });
    proxy = await startProxy(cluster, {
      issuerUrl: issuer.url, clientId: "pw", issuerCaPem: issuer.caPem,
      args: ["--oidc-username-claim=email", "--oidc-groups-claim=groups"],
    });
  });

  after(async () => {
    await kubectlOk(cluster, cluster.adminKubeconfig, ["delete", "clusterrolebinding,clusterrole", ROLE, "--ignore-not-found"]).catch(() => undefined);
    await proxy?.stop();
    await issuer?.close();
    await slapd?.stop();
  });

  test("kubectl auth whoami through the proxy shows jane's LDAP email and both of her LDAP groups", async () => {
    const res = await passwordGrant(JANE.username, JANE.password);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const idToken = String(res.body.id_token);
    const claims = decodeJwt(idToken);
    assert.equal(claims.email, JANE.email);
    assert.deepEqual(claims.groups, ["admins", "developers"]);

    const kubeconfig = proxy!.kubeconfigFor("jane", idToken);
    const who = parseWhoAmI(await kubectlOk(cluster, kubeconfig, ["auth", "whoami", "-o", "json"]));
    assert.equal(who.username, JANE.email, "the email claim is the username, without an issuer prefix");
    assert.deepEqual(who.groups, ["admins", "developers", "system:authenticated"], "each LDAP group reaches kube-apiserver as its own group");
  });

  test("RBAC bound to the LDAP group admins lets jane in and leaves john (developers only) out", async () => {
    const role = { apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRole", metadata: { name: ROLE }, rules: [{ apiGroups: [""], resources: ["configmaps"], verbs: ["list"] }] };
    const binding = {
      apiVersion: "rbac.authorization.k8s.io/v1", kind: "ClusterRoleBinding", metadata: { name: ROLE },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: ROLE },
      subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "admins" }],
    };
    await kubectlOk(cluster, cluster.adminKubeconfig, ["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items: [role, binding] }) });

    const jane = await passwordGrant(JANE.username, JANE.password);
    assert.equal(jane.status, 200, JSON.stringify(jane.body));
    const john = await passwordGrant("john", "john-secret-pw");
    assert.equal(john.status, 200, JSON.stringify(john.body));
    const janeConfig = proxy!.kubeconfigFor("jane-rbac", String(jane.body.id_token));
    const johnConfig = proxy!.kubeconfigFor("john", String(john.body.id_token));

    assert.deepEqual(parseWhoAmI(await kubectlOk(cluster, johnConfig, ["auth", "whoami", "-o", "json"])).groups, ["developers", "system:authenticated"]);
    const yes = await cluster.kubectlAs(janeConfig, ["get", "configmaps", "-n", "default", "-o", "name"]);
    assert.equal(yes.code, 0, yes.stderr);
    const no = await cluster.kubectlAs(johnConfig, ["get", "configmaps", "-n", "default"]);
    assert.equal(no.code, 1);
    assert.equal(no.stderr.trim(), 'Error from server (Forbidden): configmaps is forbidden: User "john@example.org" cannot list resource "configmaps" in API group "" in the namespace "default"');
  });

  test("a wrong LDAP password gets no token", async () => {
    const res = await passwordGrant(JANE.username, "not-janes-password");
    assert.equal(res.status, 400);
    assert.equal(res.body.error, "invalid_grant");
    assert.equal(res.body.id_token, undefined);
    assert.equal(res.body.access_token, undefined);
  });
});

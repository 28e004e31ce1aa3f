/** The issuer's setup checks name the field at fault. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { resolveIssuerConfig, type IssuerConfig } from "../../../src/issuer/config.ts";
import { validateIssuerSetup } from "../../../src/issuer/validate.ts";
import { fakePasswordConnector } from "../../tools/fake-connectors.ts";
import type { Connector } from "../../../src/issuer/connectors/connector.ts";

const base: IssuerConfig = { issuerURL: "https://id.example.com/dex", clients: [{ id: "a", name: "A", redirectURIs: [] }] };
const check = (c: Partial<IssuerConfig>, connectors: Connector[] = []) =>
  () => validateIssuerSetup(resolveIssuerConfig({ ...base, ...c }), new Map(connectors.map((x) => [x.id, x])));

test("a valid setup passes", () => {
  check({ passwordConnector: "local" }, [fakePasswordConnector("local", [])])();
});

test("each mistake is config_invalid naming its field", () => {
  const cases: Array<[Partial<IssuerConfig>, RegExp, Connector[]?]> = [
    [{ issuerURL: "http://id.example.com" }, /issuer\.issuerURL: must be https/],
    [{ issuerURL: "https://id.example.com/?x=1" }, /issuerURL: must not have a query/],
    [{ clients: [{ id: "a", name: "A", redirectURIs: [] }, { id: "a", name: "B", redirectURIs: [] }] }, /clients\[1\]\.id: duplicate a/],
    [{ passwordConnector: "ldap" }, /passwordConnector: ldap is not a configured password connector/],
    [{ clients: [{ id: "a", name: "A", redirectURIs: [], passwordGrant: true }] }, /clients\[0\]\.passwordGrant: needs issuer\.passwordConnector/],
    [{ clients: [{ id: "a", name: "A", redirectURIs: [], clientCredentials: true }] }, /clients\[0\]\.clientCredentials: a public client/],
    [{ idTokenTtlMs: 500 }, /issuer\.idTokenTtlMs: must be at least 1 s/],
    [{ refreshReuseGraceMs: -1 }, /refreshReuseGraceMs: must not be negative/],
    [{ refreshIdleTtlMs: 2 * 86_400_000, refreshAbsoluteTtlMs: 86_400_000 }, /refreshIdleTtlMs: must not exceed/],
    [{ secretKeys: ["short"] }, /issuer\.secretKeys: give at least one key/],
    [{}, /mock connector, which needs issuer\.allowMockConnector/, [{ ...fakePasswordConnector("dev", []), type: "mock" }]],
  ];
  for (const [config, message, connectors] of cases) {
    assert.throws(check(config, connectors), (e: { code?: string; detail?: string }) => e.code === "config_invalid" && message.test(e.detail ?? ""));
  }
});

test("plain http is accepted on loopback", () => {
  check({ issuerURL: "http://127.0.0.1:5556" })();
});

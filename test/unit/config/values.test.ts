import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Problems } from "../../../src/config/errors.ts";
import { parseDuration, parseHostPort, parseBool, parseExtras } from "../../../src/config/values.ts";
import { parseProxyFlags } from "../../../src/config/flags.ts";

const at = <T>(value: T) => ({ value, path: "--x" });

describe("Go durations", () => {
  const good: [string, number][] = [["0", 0], ["50ms", 50], ["1s", 1000], ["1.5s", 1500], [".5s", 500], ["1m30s", 90_000], ["1h2m3s", 3_723_000], ["500us", 0.5], ["250µs", 0.25], ["1000000ns", 1], ["+2s", 2000]];
  for (const [text, ms] of good) test(`${text} = ${ms} ms`, () => assert.equal(parseDuration(at(text), new Problems()), ms));

  for (const text of ["", "1", "50", "s", "1d", "1 s", "1s ", "-", "1.2.3s", "."]) {
    test(`${JSON.stringify(text)} is refused`, () => {
      const p = new Problems();
      assert.equal(parseDuration(at(text), p), undefined);
      assert.equal(p.list.length, 1);
    });
  }

  test("negative only where allowed", () => {
    assert.equal(parseDuration(at("-1s"), new Problems(), true), -1000);
    assert.equal(parseDuration(at("-1s"), new Problems()), undefined);
  });
});

describe("host:port", () => {
  const good: [string, { host: string; port: number }][] = [
    ["127.0.0.1:9090", { host: "127.0.0.1", port: 9090 }], [":80", { host: "0.0.0.0", port: 80 }],
    ["[::]:9090", { host: "::", port: 9090 }], ["metrics.local:1", { host: "metrics.local", port: 1 }],
  ];
  for (const [text, want] of good) test(text, () => assert.deepEqual(parseHostPort(at(text), new Problems()), want));
  for (const text of ["9090", "::1:9090", "host:0", "host:65536", "host:", "a b:1", "[127.0.0.1]:1", "300.1.1.1:1"]) {
    test(`${text} is refused`, () => assert.equal(parseHostPort(at(text), new Problems()), undefined));
  }
});

test("booleans take Go's strconv.ParseBool spellings", () => {
  for (const t of ["1", "t", "T", "true", "TRUE", "True"]) assert.equal(parseBool(t), true);
  for (const t of ["0", "f", "F", "false", "FALSE", "False"]) assert.equal(parseBool(t), false);
  for (const t of ["yes", "", "on"]) assert.equal(parseBool(t), undefined);
});

test("extra keys are lowercased and merged; control characters in values are refused", () => {
  assert.deepEqual(parseExtras(at({ Team: ["a"], team: ["b"] }), new Problems()), { team: ["a", "b"] });
  const p = new Problems();
  assert.equal(parseExtras(at({ team: ["a\r\nInjected: 1"] }), p), undefined);
  assert.deepEqual(p.list, [{ path: "--x", message: 'value for "team" must not contain control characters' }]);
});

describe("flag syntax (as pflag reads it)", () => {
  test("--flag value and --flag=value; a value may start with a dash", () => {
    const { values, problems } = parseProxyFlags(["--oidc-username-prefix", "-", "--oidc-groups-prefix=-g", "--oidc-client-id", "--odd"]);
    assert.deepEqual(problems.list, []);
    assert.deepEqual(values, { "oidc-username-prefix": "-", "oidc-groups-prefix": "-g", "oidc-client-id": "--odd" });
  });

  test("-P takes a value, attached or not", () => {
    assert.equal(parseProxyFlags(["-P", "81"]).values["readiness-probe-port"], "81");
    assert.equal(parseProxyFlags(["-P82"]).values["readiness-probe-port"], "82");
  });

  test("a boolean does not take the next argument", () => {
    const { problems } = parseProxyFlags(["--extra-user-header-client-ip", "false"]);
    assert.deepEqual(problems.list, [{ path: '"false"', message: "unexpected argument; see 'kubeward proxy --help'" }]);
  });

  test("after --, everything is an argument", () => {
    const { values, problems } = parseProxyFlags(["--", "--secure-port=1"]);
    assert.deepEqual(values, {});
    assert.deepEqual(problems.list, [{ path: '"--secure-port=1"', message: "unexpected argument; see 'kubeward proxy --help'" }]);
  });

  test("maps keep the last value of a repeated key; multimaps keep all", () => {
    const { values } = parseProxyFlags(["--oidc-required-claim=a=1,a=2", "--extra-user-headers=a=1,a=2", "--oidc-required-claim=b=x=y"]);
    assert.deepEqual(values["oidc-required-claim"], { a: "2", b: "x=y" });
    assert.deepEqual(values["extra-user-headers"], { a: ["1", "2"] });
  });
});

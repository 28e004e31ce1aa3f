/** The html template escapes every interpolation; only Html values pass through. */
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { escapeHtml, html, raw } from "../../../src/issuer/web/html.ts";

test("interpolated text is escaped, in bodies and attributes", () => {
  const name = `<script>alert("x")</script>&'`;
  assert.equal(html`<p title="${name}">${name}</p>`.toString(),
    `<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</p>`);
});

test("nested templates and raw() pass unescaped; arrays join; undefined, null and false vanish", () => {
  const items = ["a<b", "c"].map((s) => html`<li>${s}</li>`);
  assert.equal(html`<ul>${items}</ul>${undefined}${null}${false}${raw("<hr>")}`.toString(), "<ul><li>a&lt;b</li><li>c</li></ul><hr>");
  assert.equal(html`${0}`.toString(), "0");
});

test("no string can break out of a quoted attribute or open a tag", () => {
  fc.assert(fc.property(fc.string(), (s) => {
    const out = escapeHtml(s);
    assert.doesNotMatch(out, /[<>"'`]/);
  }));
});

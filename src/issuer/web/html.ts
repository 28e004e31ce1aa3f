/**
 * A tagged-template HTML builder that escapes every interpolated value. Markup
 * passes unescaped only as an {@link Html} value: the result of another `html`
 * template, or of {@link raw} (an explicit, greppable marker).
 */

/** A fragment of trusted HTML. */
export class Html {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  toString(): string {
    return this.#value;
  }
}

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;", "=": "&#61;",
};

/** Escapes text for an HTML element body or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"'`=]/g, (c) => ENTITIES[c] ?? c);
}

function render(value: unknown): string {
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === undefined || value === null || value === false) return "";
  return escapeHtml(String(value));
}

/**
 * Builds HTML, escaping each value; arrays are concatenated, and `undefined`,
 * `null` and `false` render as nothing.
 *
 * @example
 * html`<p class="greeting">Hello, ${name}</p>` // name "<b>" renders as &lt;b&gt;
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? "";
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? "");
  });
  return new Html(out);
}

/** Marks `markup` as trusted HTML. Only for markup kubeward itself produced. */
export function raw(markup: string): Html {
  return new Html(markup);
}

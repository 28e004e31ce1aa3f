/**
 * Drives the issuer's login pages the way a browser without JavaScript would:
 * follows redirects by hand, keeps cookies, fills in and submits the forms.
 */

/** The forms found on a page. */
export interface PageForm {
  readonly action: string;
  readonly fields: Record<string, string>;
}

/** A cookie-keeping page driver over `fetch`. */
export interface FormDriver {
  /** GET, following redirects until a page or a URL outside the issuer. */
  get(url: string): Promise<Landing>;
  /** POST a form, then follow redirects like {@link get}. */
  post(action: string, fields: Record<string, string>): Promise<Landing>;
}

/** Where navigation stopped: a page of the issuer, or a redirect away from it. */
export interface Landing {
  readonly status: number;
  readonly url: string;
  readonly html: string;
  readonly headers: Headers;
  /** Set when the issuer redirected outside itself (to the client). */
  readonly redirectedTo?: URL;
  readonly forms: PageForm[];
}

function parseForms(html: string, base: string): PageForm[] {
  const forms: PageForm[] = [];
  for (const m of html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)) {
    const fields: Record<string, string> = {};
    for (const [tag] of (m[2] ?? "").matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(tag)?.[1];
      if (name !== undefined) fields[name] = (/value="([^"]*)"/.exec(tag)?.[1] ?? "").replace(/&#61;/g, "=").replace(/&amp;/g, "&");
    }
    forms.push({ action: new URL((m[1] ?? "").replace(/&amp;/g, "&"), base).href, fields });
  }
  return forms;
}

/** A driver for the issuer at `issuerURL`. */
export function formDriver(fetchFn: typeof globalThis.fetch, issuerURL: string): FormDriver {
  const jar = new Map<string, string>();
  const origin = new URL(issuerURL).origin;
  const cookieHeader = (): string => [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
  const remember = (h: Headers): void => {
    for (const c of h.getSetCookie()) {
      const [pair = ""] = c.split(";");
      const eq = pair.indexOf("=");
      const value = pair.slice(eq + 1);
      if (value === "" || /expires=Thu, 01 Jan 1970/i.test(c)) jar.delete(pair.slice(0, eq));
      else jar.set(pair.slice(0, eq), value);
    }
  };
  const go = async (url: string, init: RequestInit): Promise<Landing> => {
    let current = url;
    let request = init;
    for (let hops = 0; hops < 20; hops++) {
      const res = await fetchFn(current, { ...request, redirect: "manual", headers: { ...(request.headers as Record<string, string>), cookie: cookieHeader() } });
      remember(res.headers);
      const location = res.headers.get("location");
      if (res.status >= 300 && res.status < 400 && location !== null) {
        const next = new URL(location, current);
        if (next.origin !== origin) return { status: res.status, url: current, html: "", headers: res.headers, redirectedTo: next, forms: [] };
        current = next.href;
        request = { method: "GET" };
        continue;
      }
      const html = await res.text();
      return { status: res.status, url: current, html, headers: res.headers, forms: parseForms(html, current) };
    }
    throw new Error("too many redirects");
  };
  return {
    get: (url) => go(url, { method: "GET" }),
    post: (action, fields) => go(action, {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams(fields).toString(),
    }),
  };
}

/** Logs in through the password form and (when shown) approves; returns where the issuer sent the browser. */
export async function loginWithPassword(d: FormDriver, authorizationURL: string, username: string, password: string, decision: "approve" | "deny" = "approve"): Promise<Landing> {
  const loginPage = await d.get(authorizationURL);
  const form = loginPage.forms.find((f) => "password" in f.fields);
  if (form === undefined) return loginPage;
  let landing = await d.post(form.action, { ...form.fields, login: username, password });
  const approval = landing.forms.find((f) => f.action.endsWith(`/${decision}`));
  if (approval !== undefined) landing = await d.post(approval.action, approval.fields);
  return landing;
}

/** Sign-in with an admin JWT, and sign-out. */
import type { Hono } from "hono";
import { AuthError } from "../../auth.ts";
import { formOf, type Ui, type UiEnv } from "../context.ts";
import { ErrorText } from "../form-view.tsx";
import { Layout, Notice } from "../layout.tsx";
import {
  clearCookieHeader,
  cookieHeader,
  LOGIN_CSRF_COOKIE,
  looksLikeJwt,
  randomToken,
  readCookie,
  safeEqual,
  sameOrigin,
  SESSION_COOKIE,
  sessionSeconds,
} from "../session.ts";

/** The cookie's name and attributes take ~100 of the 4,096 bytes browsers keep per cookie. */
const MAX_COOKIE_TOKEN = 3900;

const REASONS: Record<string, string> = {
  expired: "Your session has ended. Sign in again.",
  invalid: "Your session is not valid here (its token was changed or signed with another key). Sign in again.",
  signin: "Sign in to continue.",
  signedout: "You are signed out.",
};

export function registerAuthRoutes(app: Hono<UiEnv>, ui: Ui): void {
  app.get("/login", async (c) => {
    const existing = readCookie(c.req.header("cookie"), SESSION_COOKIE);
    if (existing && sessionSeconds(existing, ui.deps.kernel.now()) > 0) {
      const ok = await ui.deps.auth.verify(existing).then(() => true, () => false);
      if (ok) return c.redirect(safeNext(ui, c.req.query("next")), 303);
    }
    const csrf = readCookie(c.req.header("cookie"), LOGIN_CSRF_COOKIE) ?? randomToken();
    c.header("set-cookie", cookieHeader(LOGIN_CSRF_COOKIE, csrf, 3600));
    return c.html(
      <LoginPage ui={ui} csrf={csrf} next={c.req.query("next")} reason={REASONS[c.req.query("reason") ?? ""]} />,
    );
  });

  app.post("/login", async (c) => {
    const form = await formOf(c as never).catch(() => new FormData());
    const expected = readCookie(c.req.header("cookie"), LOGIN_CSRF_COOKIE);
    const sent = form.get("csrf");
    const next = typeof form.get("next") === "string" ? String(form.get("next")) : undefined;
    if (!sameOrigin(c.req.raw) || !expected || typeof sent !== "string" || !safeEqual(sent, expected)) {
      const csrf = randomToken();
      c.header("set-cookie", cookieHeader(LOGIN_CSRF_COOKIE, csrf, 3600));
      return c.html(
        <LoginPage
          ui={ui}
          csrf={csrf}
          next={next}
          failure={c.req.header("origin") === undefined && c.req.header("sec-fetch-site") === undefined
            // Browsers always say where a form post comes from; a script that does not is refused the same
            // way, but told why (and where a script belongs).
            ? "This sign-in says nothing of where it came from (no Origin header): browsers send one. A script should " +
              "call the admin API with the token as a Bearer header instead, or send Origin: this site."
            : "The sign-in form expired or came from another site. Please try again (cookies must be enabled)."}
        />,
        403,
      );
    }
    const token = String(form.get("token") ?? "").trim().replace(/^Bearer\s+/i, "");
    let problem: string | undefined;
    if (!token) problem = "Paste an admin token.";
    else if (token.length > MAX_COOKIE_TOKEN) {
      // Browsers drop cookies over ~4 KB without a word; say so instead of looping back here.
      problem =
        `This token is too large to keep in a cookie (${token.length} characters, at most ${MAX_COOKIE_TOKEN}). ` +
        `Use a token scoped to fewer tenants, or a platform token ("*").`;
    } else if (!looksLikeJwt(token)) problem = "This is not a JWT (three base64url parts separated by dots).";
    else {
      try {
        await ui.deps.auth.verify(token);
        if (sessionSeconds(token, ui.deps.kernel.now()) <= 0) problem = "The token has expired.";
        else if (await ui.revocations.isRevoked(token)) {
          problem = "This token was signed out: sign in with a new one.";
        }
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        problem = `The token was refused: ${error.message}.`;
      }
    }
    if (problem) {
      return c.html(<LoginPage ui={ui} csrf={expected} next={next} tokenError={problem} />, 401);
    }
    const headers = new Headers({ location: safeNext(ui, next) });
    headers.append("set-cookie", cookieHeader(SESSION_COOKIE, token, sessionSeconds(token, ui.deps.kernel.now())));
    headers.append("set-cookie", clearCookieHeader(LOGIN_CSRF_COOKIE));
    return new Response(null, { status: 303, headers });
  });
}

/** Registered after the session check: signing out is a CSRF-protected post like any other. */
export function registerLogoutRoute(app: Hono<UiEnv>, ui: Ui): void {
  app.post("/logout", async (c) => {
    await ui.revocations.revoke(c.get("session"));
    const headers = new Headers({ location: `${ui.base}/login?reason=signedout` });
    headers.append("set-cookie", clearCookieHeader(SESSION_COOKIE));
    return new Response(null, { status: 303, headers });
  });
}

/** Only a path inside the dashboard: never another origin (open redirect) or a protocol-relative URL. */
export function safeNext(ui: Ui, next: string | undefined): string {
  const fallback = `${ui.base}/tenants`;
  if (!next || !next.startsWith(`${ui.base}/`) || next.startsWith("//") || /[\\\s]|%2e|\/\.\.?(\/|$|\?)/i.test(next)) {
    return fallback;
  }
  if (next.startsWith(`${ui.base}/login`) || next.startsWith(`${ui.base}/logout`)) return fallback;
  return next;
}

function LoginPage(
  props: { ui: Ui; csrf: string; next?: string; reason?: string; tokenError?: string; failure?: string },
) {
  return (
    <Layout base={props.ui.base} title="Sign in">
      <div class="login">
        <h1>Sign in</h1>
        {props.reason ? <Notice>{props.reason}</Notice> : null}
        {props.failure ? <Notice kind="bad">{props.failure}</Notice> : null}
        <p class="muted">
          Use an admin token (a JWT from your platform, the same one the admin API takes). A token scoped to some
          tenants shows only those.
        </p>
        <form method="post" action={`${props.ui.base}/login`} novalidate>
          <input type="hidden" name="csrf" value={props.csrf} />
          {props.next ? <input type="hidden" name="next" value={props.next} /> : null}
          <div class={`field${props.tokenError ? " invalid" : ""}`}>
            <label for="token">Admin token</label>
            <p class="help" id="token-help">
              Starts with "ey…". It is kept in a secure, HttpOnly cookie until it expires.
            </p>
            {props.tokenError ? <ErrorText id="token-error" label="Admin token" messages={[props.tokenError]} /> : null}
            <input
              type="password"
              id="token"
              name="token"
              autocomplete="off"
              required
              spellcheck={false}
              aria-describedby={props.tokenError ? "token-help token-error" : "token-help"}
              aria-invalid={props.tokenError ? "true" : undefined}
              autofocus
            />
          </div>
          <button type="submit">Sign in</button>
        </form>
      </div>
    </Layout>
  );
}

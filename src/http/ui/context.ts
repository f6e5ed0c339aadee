/** What every dashboard route shares: the deps, the mount path, the signed-in principal. */
import type { Context } from "hono";
import { type AdminPrincipal, canAccess } from "../auth.ts";
import type { HttpDeps } from "../deps.ts";
import type { SessionRevocations } from "../revocations.ts";
import type { TenantRecord } from "../../store/tenants.ts";

export type UiEnv = {
  Variables: {
    principal: AdminPrincipal;
    /** The session token (the admin JWT). */
    session: string;
    /** This session's CSRF token, for every form on the page. */
    csrf: string;
  };
};

export type UiContext = Context<UiEnv>;

export interface Ui {
  deps: HttpDeps;
  /** Where the dashboard is mounted, e.g. "/admin". */
  base: string;
  /** Signed-out sessions (../revocations.ts). */
  revocations: SessionRevocations;
}

/** A page to show instead of the one asked for (404, 403, …), thrown from anywhere in a route. */
export class PageError extends Error {
  constructor(readonly status: 400 | 403 | 404 | 413 | 422 | 500, message: string) {
    super(message);
    this.name = "PageError";
  }
}

/**
 * The tenant, if this session may see it. A token scoped to other tenants gets 403 whether or not
 * the tenant exists (no tenant oracle); a platform token gets 404 for an unknown one.
 */
export async function tenantFor(c: UiContext, ui: Ui, tenantId: string): Promise<Readonly<TenantRecord>> {
  if (!canAccess(c.get("principal"), tenantId)) {
    throw new PageError(403, "Your sign-in does not give access to this tenant.");
  }
  const tenant = await ui.deps.kernel.getTenant(tenantId);
  if (!tenant) throw new PageError(404, "There is no tenant with this id.");
  return tenant;
}

/** The session's view of the layout header. */
export function sessionView(c: UiContext): { subject: string; csrf: string } {
  return { subject: c.get("principal").subject, csrf: c.get("csrf") };
}

/** Form fields as strings (files are not expected on any dashboard form). */
export async function formOf(c: UiContext): Promise<FormData> {
  return await c.req.formData();
}

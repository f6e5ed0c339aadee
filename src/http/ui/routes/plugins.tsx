/**
 * Tenant → Settings → Plugins: the list with enable toggles, and each plugin's page with its
 * generated config form, the JSON editor, and the write-only secrets form.
 */
import type { Hono } from "hono";
import { type FieldError, MissingSecretsError, ValidationError } from "../../../errors.ts";
import type { RegisteredPlugin } from "../../../registry.ts";
import { validate } from "../../../schema/index.ts";
import type { TenantRecord } from "../../../store/tenants.ts";
import { formOf, PageError, tenantFor, type Ui, type UiContext, type UiEnv } from "../context.ts";
import { buildForm, errorsByField, fieldId, parseForm } from "../form-model.ts";
import { type FieldValues, valuesFromDocument, valuesFromForm } from "../form-values.ts";
import { ErrorText, FormFields, sentence } from "../form-view.tsx";
import { Badge, Notice, TableWrap } from "../layout.tsx";
import { friendlyMessage } from "../../../schema/messages.ts";
import { TenantLayout } from "./tenants.tsx";

/** After a required field's label; a constant, so the leading space survives formatting. */
const REQUIRED_MARK = " (required)";

export function registerPluginRoutes(app: Hono<UiEnv>, ui: Ui): void {
  const pluginsHref = (tenantId: string) => `${ui.base}/tenants/${tenantId}/plugins`;

  app.get("/tenants/:id/plugins", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    return c.html(<PluginsPage c={c} ui={ui} tenant={tenant} changed={c.req.query("changed")} />);
  });

  app.post("/tenants/:id/plugins/:name/:action{enable|disable}", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const entry = requirePlugin(ui, c.req.param("name"));
    const action = c.req.param("action");
    const back = (await formOf(c)).get("back") === "plugin"
      ? `${pluginsHref(tenant.id)}/${entry.name}`
      : pluginsHref(tenant.id);
    try {
      if (action === "enable") await ui.deps.kernel.enable(tenant.id, entry.name);
      else await ui.deps.kernel.disable(tenant.id, entry.name);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      const fresh = await ui.deps.kernel.requireTenant(tenant.id);
      return c.html(
        <PluginsPage
          c={c}
          ui={ui}
          tenant={fresh}
          refused={{ plugin: entry.name, errors: error.errors, secrets: error instanceof MissingSecretsError }}
        />,
        422,
      );
    }
    return c.redirect(`${back}?changed=${action}d:${encodeURIComponent(entry.name)}`, 303);
  });

  app.get("/tenants/:id/plugins/:name", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const entry = requirePlugin(ui, c.req.param("name"));
    return c.html(
      <PluginPage
        c={c}
        ui={ui}
        tenant={tenant}
        entry={entry}
        {...await storedConfig(ui, tenant.id, entry.name)}
        saved={c.req.query("saved")}
        changed={c.req.query("changed")}
      />,
    );
  });

  app.post("/tenants/:id/plugins/:name/config", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const entry = requirePlugin(ui, c.req.param("name"));
    const form = await formOf(c);
    const root = buildForm(entry.plugin.CONFIG_SCHEMA);
    const asJson = form.get("mode") === "json";
    let document: unknown;
    let errors: FieldError[] = [];
    if (asJson) {
      try {
        document = JSON.parse(String(form.get("config_json") ?? ""));
      } catch (error) {
        errors = [{ path: "", message: `is not valid JSON (${(error as Error).message})` }];
      }
    } else {
      const parsed = parseForm(root, form);
      document = parsed.value;
      errors = parsed.errors;
    }
    if (!errors.length) {
      try {
        await ui.deps.kernel.setConfig(tenant.id, entry.name, document);
        return c.redirect(`${pluginsHref(tenant.id)}/${entry.name}?saved=config`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        errors = error.errors;
      }
    } else if (document !== undefined) {
      // Report what else is wrong too, but a field that did not parse keeps its own message.
      const taken = new Set(errors.map((e) => e.path));
      errors.push(...validate(entry.plugin.CONFIG_SCHEMA, document).errors.filter((e) => !taken.has(e.path)));
    }
    return c.html(
      <PluginPage
        c={c}
        ui={ui}
        tenant={tenant}
        entry={entry}
        values={asJson
          ? valuesFromDocument(await ui.deps.kernel.storedConfig(tenant.id, entry.name))
          : valuesFromForm(form)}
        json={asJson ? String(form.get("config_json") ?? "") : JSON.stringify(document ?? {}, null, 2)}
        configErrors={asJson ? undefined : errors}
        jsonErrors={asJson ? errors : undefined}
      />,
      422,
    );
  });

  app.post("/tenants/:id/plugins/:name/secrets", async (c) => {
    const tenant = await tenantFor(c, ui, c.req.param("id"));
    const entry = requirePlugin(ui, c.req.param("name"));
    const form = await formOf(c);
    const names = secretFieldNames(entry, tenant);
    const changes: Record<string, string | null> = {};
    const errors: FieldError[] = [];
    for (const name of names) {
      const value = form.get(`secret:${name}`);
      const clear = form.get(`clear:${name}`) !== null;
      const given = typeof value === "string" && value !== "";
      if (given && clear) errors.push({ path: `/${name}`, message: "cannot be replaced and cleared at once" });
      else if (given) changes[name] = value;
      else if (clear) changes[name] = null;
    }
    if (!errors.length && Object.keys(changes).length === 0) {
      return c.redirect(`${pluginsHref(tenant.id)}/${entry.name}?saved=nothing`, 303);
    }
    if (!errors.length) {
      try {
        await ui.deps.kernel.setSecrets(tenant.id, entry.name, changes);
        return c.redirect(`${pluginsHref(tenant.id)}/${entry.name}?saved=secrets`, 303);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        errors.push(...error.errors);
      }
    }
    return c.html(
      <PluginPage
        c={c}
        ui={ui}
        tenant={tenant}
        entry={entry}
        {...await storedConfig(ui, tenant.id, entry.name)}
        secretErrors={errors}
      />,
      422,
    );
  });
}

/** The stored config as the form's values and as the JSON editor's text. */
async function storedConfig(ui: Ui, tenantId: string, plugin: string) {
  const config = await ui.deps.kernel.storedConfig(tenantId, plugin);
  return { values: valuesFromDocument(config), json: JSON.stringify(config, null, 2) };
}

function requirePlugin(ui: Ui, name: string): RegisteredPlugin {
  const entry = ui.deps.kernel.registry.get(name);
  if (!entry) throw new PageError(404, `There is no plugin named ${name}.`);
  return entry;
}

/** Secret names from SECRETS_SCHEMA, then any stored ones the schema no longer lists (so they can be cleared). */
function secretFieldNames(entry: RegisteredPlugin, tenant: Readonly<TenantRecord>): string[] {
  const declared = Object.keys((entry.plugin.SECRETS_SCHEMA.properties ?? {}) as Record<string, unknown>);
  const stored = tenant.plugins[entry.name]?.secretNames ?? [];
  return [...declared, ...stored.filter((n) => !declared.includes(n))];
}

function changedNotice(changed: string | undefined) {
  const m = /^(enabled|disabled):(.+)$/.exec(changed ?? "");
  return m ? <Notice>{`${m[2]} is now ${m[1]}.`}</Notice> : null;
}

function PluginsPage(props: {
  c: UiContext;
  ui: Ui;
  tenant: Readonly<TenantRecord>;
  changed?: string;
  refused?: { plugin: string; errors: FieldError[]; secrets: boolean };
}) {
  const { ui, tenant, c } = props;
  const base = `${ui.base}/tenants/${tenant.id}/plugins`;
  const plugins = ui.deps.kernel.registry.list();
  return (
    <TenantLayout
      c={c}
      ui={ui}
      tenant={tenant}
      title="Plugins"
      tab="plugins"
      crumbs={[{ label: "Settings" }, { label: "Plugins" }]}
    >
      <h1>Plugins</h1>
      {changedNotice(props.changed)}
      {props.refused
        ? (
          <Notice kind="bad">
            <strong>{props.refused.plugin} cannot be enabled yet:</strong> {refusal(props.refused)}{" "}
            <a href={`${base}/${props.refused.plugin}`}>Configure {props.refused.plugin}</a>
          </Notice>
        )
        : null}
      {plugins.length === 0 ? <p>No plugins are registered with this kernel.</p> : (
        <TableWrap label="Plugins">
          <table>
            <thead>
              <tr>
                <th scope="col">Plugin</th>
                <th scope="col">Version</th>
                <th scope="col">Status</th>
                <th scope="col">Secrets</th>
                <th scope="col">
                  <span class="visually-hidden">Enable or disable</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {plugins.map((p) => {
                const state = tenant.plugins[p.name];
                const enabled = state?.enabled === true;
                const declared = Object.keys((p.plugin.SECRETS_SCHEMA.properties ?? {}) as object);
                const set = declared.filter((n) => state?.secretNames.includes(n)).length;
                const config = ui.deps.kernel.configCheck(tenant, p.name);
                return (
                  <tr>
                    <td>
                      <a href={`${base}/${p.name}`}>
                        <strong>{p.name}</strong>
                      </a>
                      <div class="muted">{p.plugin.description}</div>
                    </td>
                    <td>{p.plugin.version}</td>
                    <td>
                      <Badge status={enabled ? "enabled" : "disabled"} />
                      {config.valid ? null : <NeedsConfiguration errors={config.errors} />}
                    </td>
                    <td>{declared.length ? `${set} of ${declared.length} set` : "none needed"}</td>
                    <td>
                      <ToggleForm ui={ui} csrf={c.get("csrf")} tenantId={tenant.id} name={p.name} enabled={enabled} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      )}
    </TenantLayout>
  );
}

/**
 * The stored config does not satisfy the plugin's schema (an upgrade added a required field, or
 * none was saved): its hooks fail until it is fixed. The mark names the fields.
 */
function NeedsConfiguration(props: { errors: readonly FieldError[] }) {
  return (
    <>
      {" "}
      <Badge status="needs_configuration" />
      <div class="muted">{props.errors.map((e) => `${e.path || "config"} ${e.message}`).join("; ")}</div>
    </>
  );
}

function ToggleForm(props: { ui: Ui; csrf: string; tenantId: string; name: string; enabled: boolean; back?: string }) {
  const action = props.enabled ? "disable" : "enable";
  return (
    <form method="post" action={`${props.ui.base}/tenants/${props.tenantId}/plugins/${props.name}/${action}`}>
      <input type="hidden" name="csrf" value={props.csrf} />
      {props.back ? <input type="hidden" name="back" value={props.back} /> : null}
      <button
        type="submit"
        class={props.enabled ? "secondary" : undefined}
        aria-label={`${props.enabled ? "Disable" : "Enable"} ${props.name}`}
      >
        {props.enabled ? "Disable" : "Enable"}
      </button>
    </form>
  );
}

const SAVED: Record<string, string> = {
  config: "Configuration saved.",
  secrets: "Secrets saved.",
  nothing: "Nothing to change: no secret was typed or marked to clear.",
};

function PluginPage(props: {
  c: UiContext;
  ui: Ui;
  tenant: Readonly<TenantRecord>;
  entry: RegisteredPlugin;
  values: FieldValues;
  json: string;
  saved?: string;
  changed?: string;
  configErrors?: FieldError[];
  jsonErrors?: FieldError[];
  secretErrors?: FieldError[];
}) {
  const { ui, tenant, entry, c } = props;
  const plugin = entry.plugin;
  const csrf = c.get("csrf");
  const state = tenant.plugins[entry.name];
  const enabled = state?.enabled === true;
  const check = ui.deps.kernel.configCheck(tenant, entry.name);
  const action = `${ui.base}/tenants/${tenant.id}/plugins/${entry.name}`;
  const root = buildForm(plugin.CONFIG_SCHEMA);
  const configErrors = errorsByField(root, props.configErrors ?? []);
  const summary = props.configErrors ?? [];
  return (
    <TenantLayout
      c={c}
      ui={ui}
      tenant={tenant}
      title={`${entry.name} settings`}
      tab="plugins"
      crumbs={[
        { label: "Settings" },
        { label: "Plugins", href: `${ui.base}/tenants/${tenant.id}/plugins` },
        { label: entry.name },
      ]}
    >
      <h1>{entry.name}</h1>
      {props.saved && SAVED[props.saved] ? <Notice>{SAVED[props.saved]}</Notice> : null}
      {changedNotice(props.changed)}
      <p>{plugin.description}</p>
      <p class="muted">
        Version {plugin.version}
        {plugin.author ? ` · by ${plugin.author}` : ""} · hooks: {[...entry.hooks].join(", ") || "none"}
      </p>
      <div class="actions">
        <Badge status={enabled ? "enabled" : "disabled"} />
        {check.valid ? null : <NeedsConfiguration errors={check.errors} />}
        <ToggleForm ui={ui} csrf={csrf} tenantId={tenant.id} name={entry.name} enabled={enabled} back="plugin" />
      </div>

      <section aria-labelledby="config-heading">
        <h2 id="config-heading">Configuration</h2>
        {summary.length ? <ErrorSummary root={root} errors={summary} idPrefix="cfg" /> : null}
        {root.kind === "fieldset" && (root.fields ?? []).length === 0
          ? <p>This plugin has no settings.</p>
          : (
            <form method="post" action={`${action}/config`} novalidate>
              <input type="hidden" name="csrf" value={csrf} />
              <FormFields root={root} values={props.values} errors={configErrors} idPrefix="cfg" />
              <button type="submit">Save configuration</button>
            </form>
          )}
        <details open={props.jsonErrors?.length ? true : undefined}>
          <summary>Edit as JSON</summary>
          <form method="post" action={`${action}/config`} novalidate>
            <input type="hidden" name="csrf" value={csrf} />
            <input type="hidden" name="mode" value="json" />
            <div class={`field${props.jsonErrors?.length ? " invalid" : ""}`}>
              <label for="config-json">Configuration (JSON)</label>
              <p class="help" id="config-json-help">
                The whole configuration as one JSON object, checked against the schema.
              </p>
              {props.jsonErrors?.length
                ? (
                  <ErrorText
                    id="config-json-error"
                    label="Configuration"
                    messages={props.jsonErrors.map((
                      e,
                    ) => (e.path ? `${e.path} ${friendlyMessage(e.message)}` : e.message))}
                  />
                )
                : null}
              <textarea
                id="config-json"
                name="config_json"
                class="code"
                rows={12}
                spellcheck={false}
                data-json=""
                aria-describedby={props.jsonErrors?.length ? "config-json-help config-json-error" : "config-json-help"}
                aria-invalid={props.jsonErrors?.length ? "true" : undefined}
              >
                {props.json}
              </textarea>
            </div>
            <button type="submit" class="secondary">Save JSON</button>
          </form>
        </details>
      </section>

      <SecretsSection
        action={`${action}/secrets`}
        csrf={csrf}
        names={secretFieldNames(entry, tenant)}
        schema={plugin.SECRETS_SCHEMA as Record<string, unknown>}
        set={state?.secretNames ?? []}
        errors={props.secretErrors ?? []}
      />
    </TenantLayout>
  );
}

function ErrorSummary(props: { root: ReturnType<typeof buildForm>; errors: FieldError[]; idPrefix: string }) {
  const byField = errorsByField(props.root, props.errors);
  const labels = new Map<string, string>();
  const walk = (f: ReturnType<typeof buildForm>) => {
    labels.set(f.path, f.label);
    f.fields?.forEach(walk);
  };
  walk(props.root);
  return (
    <div class="error-summary" role="alert" tabindex={-1} aria-labelledby="error-summary-title">
      <h2 id="error-summary-title">The configuration was not saved</h2>
      <ul>
        {[...byField].map(([path, messages]) => (
          <li>
            <a href={`#${fieldId(props.idPrefix, path)}`}>
              {sentence(labels.get(path) ?? "Configuration", messages.join("; "))}
            </a>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * Write-only: inputs are never filled, the page says only "set" or "not set". A typed value
 * replaces the secret, "Clear" deletes it, an empty field keeps it.
 */
function SecretsSection(props: {
  action: string;
  csrf: string;
  names: string[];
  schema: Record<string, unknown>;
  set: string[];
  errors: FieldError[];
}) {
  const properties = (props.schema.properties ?? {}) as Record<string, { title?: string; description?: string }>;
  const required = new Set(Array.isArray(props.schema.required) ? props.schema.required as string[] : []);
  const errorsFor = (name: string) =>
    props.errors.filter((e) => e.path === `/${name}` || e.path.startsWith(`/${name}/`)).map((e) => e.message);
  const orphan = props.errors.filter((e) => !props.names.some((n) => e.path === `/${n}`));
  return (
    <section aria-labelledby="secrets-heading">
      <h2 id="secrets-heading">Secrets</h2>
      {props.names.length === 0
        ? <p>This plugin needs no secrets.</p>
        : (
          <form method="post" action={props.action} novalidate data-confirm-clear="">
            <input type="hidden" name="csrf" value={props.csrf} />
            <p class="help">
              Secrets are stored encrypted and are never shown again. Type a value to set or replace one; leave a field
              empty to keep it.
            </p>
            {orphan.length
              ? (
                <ErrorText
                  id="secrets-error"
                  label="Secrets"
                  messages={orphan.map((e) => `${e.path || "/"} ${e.message}`)}
                />
              )
              : null}
            {props.names.map((name) => {
              const meta = properties[name] ?? {};
              const label = meta.title ?? name;
              const isSet = props.set.includes(name);
              const id = `secret-${name.replace(/[^A-Za-z0-9-]/g, "_")}`;
              const messages = errorsFor(name);
              const describedBy = [
                `${id}-status`,
                meta.description ? `${id}-help` : "",
                messages.length ? `${id}-error` : "",
              ]
                .filter(Boolean).join(" ");
              return (
                <fieldset class={`field${messages.length ? " invalid" : ""}`}>
                  <legend>
                    {label}
                    {required.has(name) ? <span class="req">{REQUIRED_MARK}</span> : null}
                  </legend>
                  <p id={`${id}-status`}>
                    <Badge status={isSet ? "set" : "not set"} />
                  </p>
                  {meta.description ? <p class="help" id={`${id}-help`}>{meta.description}</p> : null}
                  {messages.length ? <ErrorText id={`${id}-error`} label={label} messages={messages} /> : null}
                  <label for={id}>{isSet ? "Replace with" : "Value"}</label>
                  <input
                    type="password"
                    id={id}
                    name={`secret:${name}`}
                    autocomplete="new-password"
                    spellcheck={false}
                    aria-describedby={describedBy}
                    aria-invalid={messages.length ? "true" : undefined}
                  />
                  {isSet
                    ? (
                      <div class="check">
                        <input type="checkbox" id={`${id}-clear`} name={`clear:${name}`} value="1" data-clear={name} />
                        <label for={`${id}-clear`}>Clear {label}</label>
                      </div>
                    )
                    : null}
                </fieldset>
              );
            })}
            <button type="submit">Save secrets</button>
          </form>
        )}
    </section>
  );
}

/** Why enabling was refused: the config's errors, or the required secrets not set (Kernel.enable). */
function refusal(refused: { secrets: boolean; errors: readonly { path: string; message: string }[] }): string {
  const errors = refused.errors;
  if (refused.secrets) {
    return `its required secrets are not set (${errors.map((e) => e.path.slice("/secrets/".length)).join(", ")}).`;
  }
  return `its configuration is not valid (${
    errors.map((e) => `${e.path || "/"} ${friendlyMessage(e.message)}`).join("; ")
  }).`;
}

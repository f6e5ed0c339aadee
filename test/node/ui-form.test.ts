/** The schema → form mapping of every construct, the JSON fallback, parsing back, and errors at fields. */
import { describe, expect, it } from "vitest";
import { buildForm, errorsByField, type FormField, parseForm, unrenderable } from "../../src/http/ui/form-model.ts";
import { valuesFromDocument, valuesFromForm } from "../../src/http/ui/form-values.ts";
import { FormFields, sentence } from "../../src/http/ui/form-view.tsx";
import { validate } from "../../src/schema/index.ts";
import { bundledPlugins } from "../../plugins/index.ts";
import { DEMO_SITE_CONFIG_SCHEMA } from "../browser/fixture-plugins.ts";

const root = buildForm(DEMO_SITE_CONFIG_SCHEMA);
const field = (path: string): FormField => {
  const find = (f: FormField): FormField | undefined =>
    f.path === path ? f : f.fields?.map(find).find((x) => x !== undefined);
  const found = find(root);
  if (!found) throw new Error(`no field ${path}`);
  return found;
};

function render(document: unknown, errors: { path: string; message: string }[] = []): string {
  return String(
    FormFields({ root, values: valuesFromDocument(document), errors: errorsByField(root, errors), idPrefix: "cfg" }),
  );
}

/** What a browser would submit for a rendered form, read back from its HTML. */
function submitted(html: string): FormData {
  const unescape = (t: string) =>
    t.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const back = new FormData();
  for (const m of html.matchAll(/<input type="(?:url|text|number|email|date)"[^>]*name="([^"]+)" value="([^"]*)"/g)) {
    back.append(m[1]!, unescape(m[2]!));
  }
  for (const m of html.matchAll(/name="([^"]+)" value="([^"]*)" checked=""/g)) back.append(m[1]!, unescape(m[2]!));
  for (const m of html.matchAll(/<select id="[^"]+" name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const chosen = /<option value="([^"]*)" selected="">/.exec(m[2]!);
    if (chosen) back.append(m[1]!, unescape(chosen[1]!));
  }
  for (const m of html.matchAll(/<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)<\/textarea>/g)) {
    back.append(m[1]!, unescape(m[2]!));
  }
  return back;
}

function form(entries: [string, string][]): FormData {
  const data = new FormData();
  for (const [k, v] of entries) data.append(k, v);
  return data;
}

describe("schema → form mapping", () => {
  it("maps each construct to its widget, in schema order", () => {
    expect(root.kind).toBe("fieldset");
    expect(root.fields!.map((f) => [f.key, f.kind])).toEqual([
      ["site_url", "url"],
      ["site_name", "text"],
      ["timeout_seconds", "integer"],
      ["sample_rate", "number"],
      ["notify", "checkbox"],
      ["region", "select"],
      ["features", "checkboxes"],
      ["domains", "lines"],
      ["alerts", "fieldset"],
      ["routes", "json"],
      ["retry_policy", "json"],
    ]);
    expect(field("/alerts").fields!.map((f) => [f.path, f.kind])).toEqual([
      ["/alerts/email", "email"],
      ["/alerts/threshold_days", "integer"],
    ]);
  });

  it("keeps titles, descriptions, required, bounds and defaults", () => {
    expect(field("/site_url")).toMatchObject({
      label: "Site URL",
      description: "The public address of the site.",
      required: true,
    });
    expect(field("/timeout_seconds")).toMatchObject({
      minimum: 1,
      maximum: 300,
      default: 30,
      step: 1,
      required: false,
    });
    expect(field("/sample_rate")).toMatchObject({ minimum: 0, maximum: 1, step: "any" });
    expect(field("/region").options).toEqual(["eu", "us", "apac"]);
    expect(field("/features").options).toEqual(["keywords", "backlinks", "rankings"]);
    expect(field("/domains").itemType).toBe("string");
    expect(field("/site_name").maxLength).toBe(80);
  });

  it("falls back to a JSON editor for what plain inputs cannot express, saying why", () => {
    expect(field("/routes").reason).toBe("is a list of objects");
    expect(field("/retry_policy").reason).toBe("uses oneOf");
    const cases: [Record<string, unknown>, string][] = [
      [{ anyOf: [{ type: "string" }] }, "uses anyOf"],
      [{ type: "object", patternProperties: { "^x": { type: "string" } } }, "uses patternProperties"],
      [{ type: "object", additionalProperties: { type: "string" } }, "has free-form keys (additionalProperties)"],
      [{ type: ["string", "null"] }, "allows several types"],
      [{ type: "array", items: [{ type: "string" }, { type: "integer" }] }, "is a fixed-position list (tuple)"],
      [{ $ref: "#/definitions/x" }, "uses $ref"],
      [{ enum: [{ a: 1 }] }, "offers non-scalar choices"],
    ];
    for (const [schema, reason] of cases) expect(unrenderable(schema)).toBe(reason);
    const arrays = buildForm({ type: "object", properties: { m: { type: "array", items: { type: "array" } } } });
    expect(arrays.fields![0]!.kind).toBe("json");
  });

  it("renders the root itself as one JSON editor when the root is unrenderable", () => {
    const r = buildForm({ type: "object", patternProperties: { "^[a-z]+$": { type: "string" } } });
    expect(r.kind).toBe("json");
    const html = String(
      FormFields({ root: r, values: valuesFromDocument({ a: "b" }), errors: new Map(), idPrefix: "c" }),
    );
    expect(html).toContain('data-json=""');
    expect(html).toContain("&quot;a&quot;: &quot;b&quot;");
  });
});

describe("rendering", () => {
  const html = render({
    site_url: "https://demo.example/",
    timeout_seconds: 30,
    sample_rate: 0.5,
    notify: true,
    region: "us",
    features: ["keywords", "rankings"],
    domains: ["a.example", "b.example"],
    alerts: { email: "ops@demo.example", threshold_days: 14 },
    routes: [{ from: "/a", to: "/b" }],
  });

  it("uses the right input for each construct with labels tied by id", () => {
    expect(html).toMatch(/<label for="cfg\/site_url">Site URL<span class="req"> \(required\)<\/span><\/label>/);
    expect(html).toMatch(/<input type="url" id="cfg\/site_url" name="\/site_url" value="https:\/\/demo.example\/"/);
    expect(html).toMatch(/type="number" id="cfg\/timeout_seconds"[^>]*value="30" min="1" max="300" step="1"/);
    expect(html).toMatch(/type="number" id="cfg\/sample_rate"[^>]*step="any"/);
    expect(html).toMatch(/type="checkbox" id="cfg\/notify" name="\/notify" value="on" checked=""/);
    expect(html).toMatch(/<select id="cfg\/region" name="\/region"/);
    expect(html).toMatch(/<option value="us" selected="">us<\/option>/);
    expect(html).toMatch(/name="\/features" value="keywords" checked=""/);
    expect(html).not.toMatch(/name="\/features" value="backlinks" checked/);
    expect(html).toMatch(/<textarea id="cfg\/domains" name="\/domains"[^>]*>a.example\nb.example<\/textarea>/);
    expect(html).toMatch(/<fieldset class="group"[^>]*><legend>Alerts<\/legend>/);
    expect(html).toMatch(/type="email" id="cfg\/alerts\/email" name="\/alerts\/email" value="ops@demo.example"/);
    expect(html).toMatch(/<textarea id="cfg\/routes" name="\/routes" rows="8" class="code"/);
  });

  it("gives descriptions and constraints as help linked with aria-describedby", () => {
    expect(html).toMatch(/<p class="help" id="cfg\/site_url-help">The public address of the site\. A full URL/);
    expect(html).toMatch(/id="cfg\/timeout_seconds-help">A whole number from 1 to 300\. Default: 30\./);
    expect(html).toMatch(/id="cfg\/site_url"[^>]*aria-describedby="cfg\/site_url-help"/);
    expect(html).toContain("Edited as JSON: this setting is a list of objects.");
  });

  it("shows each server error at its field with aria-invalid, and nested and in-list errors at their owner", () => {
    const out = render({ site_url: "x" }, [
      { path: "/site_url", message: 'String does not match format "uri".' },
      { path: "/timeout_seconds", message: "999 is greater than 300." },
      { path: "/alerts/email", message: "is required" },
      { path: "/routes/0/to", message: "is required" },
      { path: "/domains/1", message: "String is too short (1 < 3)." },
    ]);
    expect(out).toMatch(
      /<p class="error-text" id="cfg\/site_url-error"><span class="visually-hidden">Error:<\/span> Site URL must be a full URL, such as https:\/\/example\.com\.<\/p>/,
    );
    expect(out).toMatch(
      /id="cfg\/site_url"[^>]*aria-describedby="cfg\/site_url-help cfg\/site_url-error" aria-invalid="true"/,
    );
    expect(out).toMatch(/id="cfg\/timeout_seconds-error">.*Timeout \(seconds\) must be at most 300\./);
    expect(out).toMatch(/id="cfg\/alerts\/email-error">.*Alert e-mail is required\./);
    expect(out).toMatch(/id="cfg\/routes-error">.*Routing rules is required\./);
    expect(out).toMatch(/id="cfg\/domains-error">.*Domains must be at least 3 characters\./);
    expect(out).not.toMatch(/id="cfg\/sample_rate"[^>]*aria-invalid/);
  });

  it("re-shows exactly what was submitted after an error, even text that did not parse", () => {
    const data = form([["/timeout_seconds", "abc"], ["/domains", "x\ny"], ["/region", "apac"]]);
    const out = String(FormFields({ root, values: valuesFromForm(data), errors: new Map(), idPrefix: "cfg" }));
    expect(out).toMatch(/id="cfg\/timeout_seconds" name="\/timeout_seconds" value="abc"/);
    expect(out).toMatch(/<option value="apac" selected="">/);
    expect(out).toMatch(/>x\ny<\/textarea>/);
    expect(out).not.toMatch(/name="\/notify" value="on" checked/);
  });
});

describe("form data → document", () => {
  it("types every construct back and leaves empty optional fields out so defaults apply", () => {
    const data = form([
      ["/site_url", "https://demo.example/"],
      ["/site_name", ""],
      ["/timeout_seconds", "45"],
      ["/sample_rate", "0.25"],
      ["/notify", "on"],
      ["/region", "apac"],
      ["/features", "backlinks"],
      ["/features", "keywords"],
      ["/domains", " a.example \r\n\r\nb.example\n"],
      ["/alerts/email", ""],
      ["/alerts/threshold_days", ""],
      ["/routes", '[{"from":"/a","to":"/b"}]'],
      ["/retry_policy", "3"],
    ]);
    const { value, errors } = parseForm(root, data);
    expect(errors).toEqual([]);
    expect(value).toEqual({
      site_url: "https://demo.example/",
      timeout_seconds: 45,
      sample_rate: 0.25,
      notify: true,
      region: "apac",
      features: ["keywords", "backlinks"],
      domains: ["a.example", "b.example"],
      routes: [{ from: "/a", to: "/b" }],
      retry_policy: 3,
    });
    const checked = validate(DEMO_SITE_CONFIG_SCHEMA, value);
    expect(checked.valid).toBe(true);
    expect(checked.value).toMatchObject({ timeout_seconds: 45 });
  });

  it("an unchecked box is false; an empty list is [] only where that differs from leaving it out", () => {
    const { value } = parseForm(root, form([["/site_url", "https://x.example"]]));
    // features has a default (["keywords"]): none chosen means none. domains has none: left out.
    expect(value).toEqual({ site_url: "https://x.example", notify: false, features: [] });
    expect(value).not.toHaveProperty("alerts");
  });

  it("reports what does not parse at its field, and the round trip survives", () => {
    const { errors } = parseForm(
      root,
      form([["/timeout_seconds", "ten"], ["/region", "mars"], ["/features", "spam"], ["/routes", "[{"], [
        "/alerts/threshold_days",
        "7",
      ]]),
    );
    expect(errors.map((e) => e.path)).toEqual(["/timeout_seconds", "/region", "/features", "/routes"]);
    expect(errors[3]!.message).toMatch(/^is not valid JSON/);
    const doc = {
      site_url: "https://x.example",
      notify: true,
      region: "eu",
      features: ["rankings"],
      domains: ["d.example"],
    };
    expect(parseForm(root, submitted(render(doc))).value).toEqual({ ...doc });
  });
});

describe("messages at fields", () => {
  it("say what is expected, naming the field", () => {
    expect(sentence("Site URL", 'String does not match format "uri".')).toBe(
      "Site URL must be a full URL, such as https://example.com.",
    );
    expect(sentence("Timeout", "999 is greater than 300.")).toBe("Timeout must be at most 300.");
    expect(sentence("Timeout", "0 is less than 1.")).toBe("Timeout must be at least 1.");
    expect(sentence("Rate", "1 is greater than or equal to 1.")).toBe("Rate must be less than 1.");
    expect(sentence("Name", "String is too long (90 > 80).")).toBe("Name must be at most 80 characters.");
    expect(sentence("Timeout", 'Instance type "number" is invalid. Expected "integer".')).toBe(
      "Timeout must be a whole number.",
    );
    expect(sentence("Notify", 'Instance type "string" is invalid. Expected "boolean".')).toBe(
      "Notify must be a boolean.",
    );
    expect(sentence("Region", 'Instance does not match any of ["eu","us"].')).toBe("Region must be one of eu, us.");
    expect(sentence("Domains", "Array has too few items (0 < 1).")).toBe("Domains needs at least 1 entry.");
    expect(sentence("API Endpoint", "is required")).toBe("API Endpoint is required.");
    expect(sentence("Routes", "Something else entirely")).toBe("Routes: Something else entirely.");
  });
});

describe("the bundled plugins' schemas", () => {
  it("each renders, and its default config survives a round trip through the form", () => {
    for (const plugin of bundledPlugins()) {
      const form = buildForm(plugin.CONFIG_SCHEMA);
      expect(form.kind, plugin.name).toBe("fieldset");
      const defaults = validate(plugin.CONFIG_SCHEMA, {}).value;
      const html = String(
        FormFields({ root: form, values: valuesFromDocument(defaults), errors: new Map(), idPrefix: "cfg" }),
      );
      const { value, errors } = parseForm(form, submitted(html));
      expect(errors, plugin.name).toEqual([]);
      // A required list with no default comes back as [] (so its error says how many entries it needs).
      const required = (plugin.CONFIG_SCHEMA.required ?? []) as string[];
      const expected = { ...defaults };
      for (const f of form.fields!) {
        if (required.includes(f.key) && !(f.key in defaults) && ["lines", "checkboxes"].includes(f.kind)) {
          expected[f.key] = [];
        }
      }
      expect(validate(plugin.CONFIG_SCHEMA, value).value, plugin.name).toEqual(expected);
    }
  });
});

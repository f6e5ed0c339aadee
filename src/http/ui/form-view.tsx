/**
 * Renders a FormField tree as accessible HTML: every input has a <label>, descriptions and
 * errors are tied to it with aria-describedby, invalid inputs carry aria-invalid, groups are
 * <fieldset>s with a <legend>. Constraints (min, max, step, required, type=url) are present for
 * assistive tech and phone keyboards; the form is `novalidate` so the server's messages, shown
 * at each field, are the one source of truth.
 */
import type { Child } from "hono/jsx";
import { fieldId, type FormField, optionValue, type Scalar } from "./form-model.ts";
import type { FieldValues } from "./form-values.ts";
import { friendlyMessage } from "../../schema/messages.ts";

/** After a required field's label; a constant, so the leading space survives formatting. */
const REQUIRED_MARK = " (required)";

export interface FieldsProps {
  root: FormField;
  values: FieldValues;
  errors: Map<string, string[]>;
  /** Prefix of element ids, so two forms on one page do not collide. */
  idPrefix: string;
}

export function FormFields(props: FieldsProps) {
  const { root } = props;
  if (root.kind === "fieldset") {
    return <>{(root.fields ?? []).map((f) => <Field {...props} key={f.path} field={f} />)}</>;
  }
  return <Field {...props} field={root} />;
}

function Field(props: FieldsProps & { field: FormField }) {
  const { field, values, errors, idPrefix } = props;
  const id = fieldId(idPrefix, field.path);
  const messages = errors.get(field.path) ?? [];
  const helpLine = helpText(field.description, hint(field));
  const helpId = helpLine ? `${id}-help` : undefined;
  const errorId = messages.length ? `${id}-error` : undefined;
  const describedBy = [helpId, errorId].filter(Boolean).join(" ") || undefined;
  const invalid = messages.length ? "true" : undefined;
  const help = helpId
    ? (
      <p class="help" id={helpId}>
        {helpLine}
      </p>
    )
    : null;
  const error = errorId ? <ErrorText id={errorId} label={field.label} messages={messages} /> : null;
  const label = (
    <label for={id}>
      {field.label}
      {field.required && field.kind !== "checkbox" ? <span class="req">{REQUIRED_MARK}</span> : null}
    </label>
  );

  switch (field.kind) {
    case "fieldset":
      return (
        <fieldset class="group" aria-describedby={describedBy}>
          <legend>{field.label}</legend>
          {help}
          {error}
          {(field.fields ?? []).map((f) => <Field {...props} key={f.path} field={f} />)}
        </fieldset>
      );
    case "checkbox":
      return (
        <div class={`field check${invalid ? " invalid" : ""}`}>
          <input
            type="checkbox"
            id={id}
            name={field.path}
            value="on"
            checked={values.checked(field)}
            aria-describedby={describedBy}
            aria-invalid={invalid}
          />
          {label}
          {help}
          {error}
        </div>
      );
    case "checkboxes": {
      const chosen = values.selected(field);
      return (
        <fieldset class={`field choices${invalid ? " invalid" : ""}`} id={id} aria-describedby={describedBy}>
          <legend>{field.label}</legend>
          {help}
          {error}
          {(field.options ?? []).map((option, i) => (
            <div class="check">
              <input
                type="checkbox"
                id={`${id}-${i}`}
                name={field.path}
                value={optionValue(option)}
                checked={chosen.includes(optionValue(option))}
                aria-invalid={invalid}
              />
              <label for={`${id}-${i}`}>{optionLabel(option)}</label>
            </div>
          ))}
        </fieldset>
      );
    }
    case "select": {
      const chosen = values.selected(field)[0];
      return (
        <div class={`field${invalid ? " invalid" : ""}`}>
          {label}
          {help}
          {error}
          <select id={id} name={field.path} aria-describedby={describedBy} aria-invalid={invalid}>
            {field.required && chosen !== undefined ? null : <option value="">— not set —</option>}
            {(field.options ?? []).map((option) => (
              <option value={optionValue(option)} selected={chosen === optionValue(option)}>
                {optionLabel(option)}
              </option>
            ))}
          </select>
        </div>
      );
    }
    case "lines":
    case "json":
    case "textarea":
      return (
        <div class={`field${invalid ? " invalid" : ""}`}>
          {label}
          {help}
          {error}
          <textarea
            id={id}
            name={field.path}
            rows={field.kind === "json" ? 8 : 4}
            class={field.kind === "json" ? "code" : undefined}
            spellcheck={field.kind === "json" ? false : undefined}
            data-json={field.kind === "json" ? "" : undefined}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            required={field.required}
          >
            {values.text(field)}
          </textarea>
        </div>
      );
    default:
      return (
        <div class={`field${invalid ? " invalid" : ""}`}>
          {label}
          {help}
          {error}
          <input
            type={inputType(field)}
            id={id}
            name={field.path}
            value={values.text(field)}
            min={field.minimum}
            max={field.maximum}
            step={field.step}
            minlength={field.minLength}
            maxlength={field.maxLength}
            inputmode={field.kind === "integer" ? "numeric" : field.kind === "number" ? "decimal" : undefined}
            required={field.required}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            autocomplete="off"
          />
        </div>
      );
  }
}

export function ErrorText(props: { id: string; label: string; messages: string[] }): Child {
  return (
    <p class="error-text" id={props.id}>
      <span class="visually-hidden">Error:</span> {props.messages.map((m) => sentence(props.label, m)).join(" ")}
    </p>
  );
}

/**
 * One message as a sentence that names the field: "is required" → "API Endpoint is required.",
 * "999 is greater than 300." → "Timeout must be at most 300."; other sentences get "Label: " before them.
 */
export function sentence(label: string, message: string): string {
  const friendly = friendlyMessage(message);
  const text = /^(is|must|should|has|does|are|cannot|needs|takes)\b/.test(friendly)
    ? `${label} ${friendly}`
    : `${label}: ${capitalize(friendly)}`;
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function inputType(field: FormField): string {
  switch (field.kind) {
    case "url":
      return "url";
    case "email":
      return "email";
    case "date":
      return "date";
    case "number":
    case "integer":
      return "number";
    default:
      return "text";
  }
}

/** Constraints and defaults, said in words next to the field. */
/**
 * The description, then the generated hint as a sentence of its own: a description that does not
 * end a sentence (a plugin author's "… or a proxy)") gets a full stop, so the two do not run together.
 */
export function helpText(description: string | undefined, generated: string): string {
  const text = description?.trim() ?? "";
  if (!text || !generated) return text || generated;
  const ended = /[.!?:;]["'”’)\]]*$/.test(text);
  return `${text}${ended ? "" : "."} ${generated}`;
}

export function hint(field: FormField): string {
  const parts: string[] = [];
  if (field.kind === "integer" || field.kind === "number") {
    const what = field.kind === "integer" ? "A whole number" : "A number";
    if (field.minimum !== undefined && field.maximum !== undefined) {
      parts.push(`${what} from ${field.minimum} to ${field.maximum}.`);
    } else if (field.minimum !== undefined) parts.push(`${what}, at least ${field.minimum}.`);
    else if (field.maximum !== undefined) parts.push(`${what}, at most ${field.maximum}.`);
  }
  if (field.kind === "url") parts.push("A full URL, e.g. https://example.com.");
  if (field.kind === "lines") parts.push(`One ${field.itemType === "string" ? "entry" : "number"} per line.`);
  if (field.kind === "json") parts.push(`Edited as JSON: this setting ${field.reason ?? "needs it"}.`);
  if (field.default !== undefined && field.kind !== "fieldset") {
    parts.push(`Default: ${formatDefault(field.default)}.`);
  }
  return parts.join(" ");
}

function formatDefault(value: unknown): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value)) return value.length ? value.map(String).join(", ") : "none";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function optionLabel(option: Scalar): string {
  return option === null ? "none" : String(option);
}

function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}

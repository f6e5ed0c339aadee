/**
 * What a generated form shows in each input: either a stored document (the current config) or
 * what the user just submitted (re-shown verbatim after a validation error, so nothing typed is
 * lost, including text that did not parse).
 */
import { type FormField, type FormSource, optionValue, valueAt } from "./form-model.ts";

export interface FieldValues {
  /** Text for inputs, textareas (lines joined by newlines, JSON pretty-printed). */
  text(field: FormField): string;
  checked(field: FormField): boolean;
  /** Chosen option values (as form strings) for select and checkboxes. */
  selected(field: FormField): string[];
}

export function valuesFromDocument(document: unknown): FieldValues {
  return {
    text(field) {
      const v = valueAt(document, field.path);
      if (v === undefined || v === null) return "";
      if (field.kind === "json") return JSON.stringify(v, null, 2);
      if (field.kind === "lines") return Array.isArray(v) ? v.map(String).join("\n") : "";
      return typeof v === "object" ? JSON.stringify(v) : String(v);
    },
    checked(field) {
      return valueAt(document, field.path) === true;
    },
    selected(field) {
      const v = valueAt(document, field.path);
      if (v === undefined) return [];
      const list = Array.isArray(v) ? v : [v];
      return list.filter((x) => x === null || typeof x !== "object").map((x) => optionValue(x));
    },
  };
}

export function valuesFromForm(data: FormSource): FieldValues {
  const str = (name: string) => {
    const v = data.get(name);
    return typeof v === "string" ? v : "";
  };
  return {
    text: (field) => str(field.path),
    checked: (field) => data.get(field.path) !== null,
    selected: (field) => data.getAll(field.path).map(String),
  };
}

/** A field's help: its description, then the generated hint as a sentence of its own. */
import { describe, expect, it } from "vitest";
import { buildForm } from "../../src/http/ui/form-model.ts";
import { valuesFromDocument } from "../../src/http/ui/form-values.ts";
import { FormFields, helpText } from "../../src/http/ui/form-view.tsx";

const schema = {
  type: "object",
  properties: {
    api_base: {
      type: "string",
      format: "uri",
      description: "Where requests go (change it for a local fake or a proxy)",
    },
    region: { type: "string", description: "The bucket's region.", default: "us-east-1" },
    retries: { type: "integer", minimum: 0, maximum: 5, description: "How often to retry: " },
  },
} as const;

describe("help text", () => {
  it("ends a description without a full stop before the hint", () => {
    const html = String(
      FormFields({ root: buildForm(schema), values: valuesFromDocument({}), errors: new Map(), idPrefix: "f" }),
    );
    expect(html).toContain("(change it for a local fake or a proxy). A full URL, e.g. https://example.com.");
    expect(html).toContain("The bucket&#39;s region. Default: us-east-1.");
  });

  it("keeps a description's own ending and leaves either part alone when the other is missing", () => {
    expect(helpText("How often to retry: ", "A whole number from 0 to 5.")).toBe(
      "How often to retry: A whole number from 0 to 5.",
    );
    expect(helpText("Is it on?", "Default: off.")).toBe("Is it on? Default: off.");
    expect(helpText('Say "hi."', "Default: x.")).toBe('Say "hi." Default: x.');
    expect(helpText("No stop", "")).toBe("No stop");
    expect(helpText(undefined, "Default: 3.")).toBe("Default: 3.");
    expect(helpText(undefined, "")).toBe("");
  });
});

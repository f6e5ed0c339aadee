/**
 * Validator messages in the words of the API's other errors, which an admin also reads at a
 * field: "999 is greater than 300." becomes "must be at most 300". Messages this does not
 * recognise (and ones already in these words) pass through unchanged.
 */
const RULES: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^String does not match format "(uri|url)"\.?$/, () => "must be a full URL, such as https://example.com"],
  [/^String does not match format "email"\.?$/, () => "must be an e-mail address"],
  [/^String does not match format "([^"]+)"\.?$/, (m) => `must be a valid ${m[1]}`],
  [/^\S+ is greater than or equal to (\S+?)\.?$/, (m) => `must be less than ${m[1]}`],
  [/^\S+ is greater than (\S+?)\.?$/, (m) => `must be at most ${m[1]}`],
  [/^\S+ is less than or equal to (\S+?)\.?$/, (m) => `must be more than ${m[1]}`],
  [/^\S+ is less than (\S+?)\.?$/, (m) => `must be at least ${m[1]}`],
  [/^\S+ is not a multiple of (\S+?)\.?$/, (m) => `must be a multiple of ${m[1]}`],
  [/^String is too short \(\d+ < (\d+)\)\.?$/, (m) => `must be at least ${m[1]} characters`],
  [/^String is too long \(\d+ > (\d+)\)\.?$/, (m) => `must be at most ${m[1]} characters`],
  [/^String does not match pattern\.?$/, () => "is not in the expected format"],
  [/^Instance type "[^"]+" is invalid\. Expected "integer"\.?$/, () => "must be a whole number"],
  [/^Instance type "[^"]+" is invalid\. Expected "([^"]+)"\.?$/, (m) => `must be ${article(m[1]!)} ${m[1]}`],
  [/^Instance does not match any of (\[.*\])\.?$/, (m) => `must be one of ${list(m[1]!)}`],
  [
    /^Array has too few items \(\d+ < (\d+)\)\.?$/,
    (m) => `needs at least ${m[1]} ${m[1] === "1" ? "entry" : "entries"}`,
  ],
  [
    /^Array has too many items \(\d+ > (\d+)\)\.?$/,
    (m) => `takes at most ${m[1]} ${m[1] === "1" ? "entry" : "entries"}`,
  ],
  [/^Duplicate items at indexes \d+ and \d+\.?$/, () => "has the same entry twice"],
];

export function friendlyMessage(message: string): string {
  for (const [pattern, rewrite] of RULES) {
    const m = pattern.exec(message);
    if (m) return rewrite(m);
  }
  return message;
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

function list(json: string): string {
  try {
    return (JSON.parse(json) as unknown[]).map((v) => (typeof v === "string" ? v : JSON.stringify(v))).join(", ");
  } catch {
    return json;
  }
}

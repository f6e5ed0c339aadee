/** Other spellings of one JWT, for the tests of what a token is keyed on. */
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * The token with its last character replaced by another of its group of four (k→l): the last
 * character of a 32-byte signature carries 2 bits that decoding drops, so the bytes are the same.
 */
export function respelled(token: string): string {
  const last = B64URL.indexOf(token.at(-1)!);
  const other = B64URL[last - (last % 4) + ((last % 4) + 1) % 4]!;
  return token.slice(0, -1) + other;
}

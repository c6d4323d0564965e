/**
 * Text form of registration tokens: `<PREFIX>-XXXX-XXXX-…` in Crockford Base32.
 *
 * The body is 27 random characters (135 bits) plus one check character. The check
 * character is computed with a Damm-style scheme over GF(32): every step is a
 * bijection in both arguments (so any single substitution changes the result) and
 * the quasigroup x∘y = A·x + y is totally anti-symmetric for A ≠ 1 (so any swap of
 * two neighbours in the body changes it). The final multiply by M ≠ 1 makes a swap
 * of the last body character with the check character detectable as well, which a
 * plain Damm check over a field of characteristic 2 would miss.
 *
 * Pure and dependency-free: runs in the renderer, the main process and `join` page.
 */

export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const TOKEN_RANDOM_CHARS = 27;
export const TOKEN_BODY_CHARS = TOKEN_RANDOM_CHARS + 1;
export const DEFAULT_TOKEN_PREFIX = 'GATE';
const GROUP = 4;

const A = 2; // the field element x: a generator, ≠ 0 and ≠ 1
const M = 3; // x + 1: ≠ 0 and ≠ 1

/** Multiplication in GF(2^5) with the primitive polynomial x^5 + x^2 + 1. */
function gfMul(a: number, b: number): number {
  let product = 0;
  let x = a;
  let y = b;
  while (y > 0) {
    if (y & 1) product ^= x;
    y >>= 1;
    x <<= 1;
    if (x & 0b100000) x ^= 0b100101;
  }
  return product;
}

function valueOf(char: string): number {
  return CROCKFORD_ALPHABET.indexOf(char);
}

/** The check character for a body of Crockford characters (already normalised). */
export function checkCharacter(body: string): string {
  let interim = 0;
  for (const char of body) {
    const v = valueOf(char);
    if (v < 0) throw new RangeError(`not a Crockford Base32 character: ${char}`);
    interim = gfMul(A, interim) ^ v;
  }
  return CROCKFORD_ALPHABET[gfMul(M, interim)]!;
}

/** Formats a body (random characters + check) as `PREFIX-XXXX-XXXX-…`. */
export function formatToken(prefix: string, body: string): string {
  const groups = body.match(new RegExp(`.{1,${GROUP}}`, 'g')) ?? [];
  return [prefix, ...groups].join('-');
}

/** A new token text from `randomBytes` (one byte per character; 5 bits of each are used). */
export function tokenFromRandom(prefix: string, randomBytes: Uint8Array): string {
  if (randomBytes.length < TOKEN_RANDOM_CHARS) throw new RangeError('not enough random bytes');
  let random = '';
  for (let i = 0; i < TOKEN_RANDOM_CHARS; i++) random += CROCKFORD_ALPHABET[randomBytes[i]! & 31];
  return formatToken(prefix, random + checkCharacter(random));
}

export type ParsedToken =
  { ok: true; body: string; display: string } | { ok: false; reason: 'length' | 'alphabet' | 'check' };

/**
 * Parses forgiving input: case-insensitive, hyphens and spaces ignored, O→0, I/L→1.
 * The prefix is whatever stands before the last {@link TOKEN_BODY_CHARS} characters,
 * so tokens keep working after the admin changes the prefix setting.
 */
export function parseToken(input: string): ParsedToken {
  const compact = input.toUpperCase().replace(/[\s-]/g, '');
  if (compact.length < TOKEN_BODY_CHARS) return { ok: false, reason: 'length' };
  const prefix = compact.slice(0, compact.length - TOKEN_BODY_CHARS);
  const body = compact
    .slice(compact.length - TOKEN_BODY_CHARS)
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (!/^[0-9A-HJKMNP-TV-Z]+$/.test(body)) return { ok: false, reason: 'alphabet' };
  const random = body.slice(0, -1);
  if (checkCharacter(random) !== body.slice(-1)) return { ok: false, reason: 'check' };
  return { ok: true, body, display: formatToken(prefix || DEFAULT_TOKEN_PREFIX, body) };
}

/** `GATE-7Y3K`: the prefix and first group, safe to show and store for recognition. */
export function tokenRecognitionPrefix(display: string): string {
  return display.split('-').slice(0, 2).join('-');
}

/** Prefix setting rule: 1–12 characters from the Crockford alphabet. */
export const TOKEN_PREFIX_PATTERN = /^[0-9A-HJKMNP-TV-Z]{1,12}$/;

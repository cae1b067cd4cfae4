/**
 * Strict base64 (RFC 4648 §4): the standard alphabet `A–Z a–z 0–9 + /`,
 * padded with `=` to a multiple of four characters, no whitespace, and in
 * canonical form (the unused low bits of the last symbol are zero, so every
 * byte string has exactly one accepted encoding). base64url (`-`, `_`, no
 * padding) is refused: the contract says base64, and one encoding keeps the
 * stored text comparable byte for byte with what the client sent. Pure.
 */

const VALUE = new Int8Array(128).fill(-1);
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

function symbolValue(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code < 128 ? VALUE[code]! : -1;
}

/**
 * The number of bytes `text` decodes to, or `undefined` when it is not strict
 * canonical base64. The empty string is valid and decodes to zero bytes.
 */
export function strictBase64ByteLength(text: string): number | undefined {
  const length = text.length;
  if (length % 4 !== 0) return undefined;
  if (length === 0) return 0;
  const padding = text.charCodeAt(length - 1) === 61 /* = */ ? (text.charCodeAt(length - 2) === 61 ? 2 : 1) : 0;
  const symbols = length - padding;
  for (let i = 0; i < symbols; i++) {
    if (symbolValue(text, i) < 0) return undefined;
  }
  // Canonical form: the bits past the last whole byte must be zero.
  const last = symbolValue(text, symbols - 1);
  if (padding === 2 && (last & 0x0f) !== 0) return undefined;
  if (padding === 1 && (last & 0x03) !== 0) return undefined;
  return (length / 4) * 3 - padding;
}

/** The length in characters of the base64 text of `bytes` bytes. */
export function base64Length(bytes: number): number {
  return Math.ceil(bytes / 3) * 4;
}

import { hmacKey, hmacSha256Hex } from './hash.js';

/** Keyed hash so analysts can join and count by person without holding the identifier. */
export type Pseudonymize = (value: string | null | undefined) => string | null;

export function createPseudonymizer(pepper: string): Pseudonymize {
  const key = hmacKey(pepper);
  return (value) => {
    if (value === null || value === undefined) return null;
    const normalized = value.trim().toUpperCase();
    return normalized === '' ? null : hmacSha256Hex(key, normalized).slice(0, 32);
  };
}

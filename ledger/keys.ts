import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readOrCreate } from '../lib/local-secrets.js';
import { keyIdOf } from './digest.js';

export interface LedgerKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  publicKeyPem: string;
  keyId: string;
  /** Where it came from, for the start-up log: the variable, or the file. */
  source: string;
}

export class LedgerKeyError extends Error {
  override name = 'LedgerKeyError';
}

export const ledgerKeyFile = (dataDir: string) => join(dataDir, 'ledger-signing-key.pem');

function fromPem(pem: string, source: string): LedgerKey {
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch (err) {
    throw new LedgerKeyError(`${source}: not a PEM private key (${(err as Error).message})`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new LedgerKeyError(`${source}: an ${privateKey.asymmetricKeyType} key; the ledger signs with Ed25519`);
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(publicKey), source };
}

/**
 * LEDGER_SIGNING_KEY holds the PEM itself or the path of a PEM file; otherwise the key is generated
 * once into DATA_DIR (0600, like every local secret). `create: false` for commands that only verify:
 * a key made up on the spot would verify nothing.
 */
export function loadLedgerKey(config: { dataDir: string; ledger: { signingKey: string | undefined } }, options: { create: boolean }): LedgerKey {
  const given = config.ledger.signingKey?.trim();
  if (given) {
    if (given.startsWith('-----BEGIN')) return fromPem(given, 'LEDGER_SIGNING_KEY');
    if (!existsSync(given)) throw new LedgerKeyError(`LEDGER_SIGNING_KEY: no file ${given} (give a PEM or the path of one)`);
    return fromPem(readFileSync(given, 'utf8'), given);
  }
  const file = ledgerKeyFile(config.dataDir);
  if (!options.create && !existsSync(file)) throw new LedgerKeyError(`no ledger key: set LEDGER_SIGNING_KEY or run the service once to generate ${file}`);
  const pem = readOrCreate(file, () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trim());
  return fromPem(pem, file);
}

import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ledgerKeyFile, loadLedgerKey } from './keys.js';

const dir = () => mkdtempSync(join(tmpdir(), 'ine-audit-keys-'));
const pem = () => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('loadLedgerKey', () => {
  it('generates the key once into DATA_DIR with mode 0600, and reads the same one after', () => {
    const dataDir = dir();
    const first = loadLedgerKey({ dataDir, ledger: { signingKey: undefined } }, { create: true });
    expect(statSync(ledgerKeyFile(dataDir)).mode & 0o777).toBe(0o600);
    expect(loadLedgerKey({ dataDir, ledger: { signingKey: undefined } }, { create: false }).keyId).toBe(first.keyId);
    expect(first.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----/);
  });

  it('takes LEDGER_SIGNING_KEY as the PEM itself or as the path of one', () => {
    const key = pem();
    const file = join(dir(), 'k.pem');
    writeFileSync(file, key, { mode: 0o600 });
    const fromText = loadLedgerKey({ dataDir: dir(), ledger: { signingKey: key } }, { create: false });
    const fromFile = loadLedgerKey({ dataDir: dir(), ledger: { signingKey: file } }, { create: false });
    expect(fromFile.keyId).toBe(fromText.keyId);
    expect(fromText.source).toBe('LEDGER_SIGNING_KEY');
  });

  it('refuses what it cannot sign with, saying why', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadLedgerKey({ dataDir: dir(), ledger: { signingKey: rsa } }, { create: false })).toThrow(/an rsa key; the ledger signs with Ed25519/);
    expect(() => loadLedgerKey({ dataDir: dir(), ledger: { signingKey: '-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----' } }, { create: false })).toThrow(/LEDGER_SIGNING_KEY: not a PEM private key/);
    expect(() => loadLedgerKey({ dataDir: dir(), ledger: { signingKey: '/nonexistent/key.pem' } }, { create: false })).toThrow(/no file \/nonexistent\/key.pem/);
    expect(() => loadLedgerKey({ dataDir: dir(), ledger: { signingKey: undefined } }, { create: false })).toThrow(/no ledger key: set LEDGER_SIGNING_KEY/);
  });
});

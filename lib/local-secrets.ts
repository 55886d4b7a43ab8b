import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config, Integration } from './config.js';

/**
 * On a laptop with nothing configured, `npm start` must still work: secrets that were not given
 * are generated once into DATA_DIR (mode 0600), never defaulted in code.
 */
export function readOrCreate(path: string, create: () => string): string {
  if (existsSync(path)) {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return readFileSync(path, 'utf8').trim();
  }
  const value = create();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

export const localIntegrationFile = (dataDir: string) => join(dataDir, 'local-integration.json');
export const adminFile = (dataDir: string) => join(dataDir, 'admin.json');
/** Where the process that owns the embedded store serves its SQL door (written at start, removed at stop). */
export const doorFile = (dataDir: string) => join(dataDir, 'sqldoor.json');
export const passwordFile = (dataDir: string, user: 'analyst' | 'grafana') => join(dataDir, `${user}-password`);

export function withLocalSecrets(config: Config, options: { integrations: boolean }): Config {
  mkdirSync(config.dataDir, { recursive: true });
  const pepper = config.pseudonymPepper ?? readOrCreate(join(config.dataDir, 'pseudonym-pepper'), () => randomBytes(32).toString('hex'));
  const adminToken = config.adminToken ?? readOrCreate(join(config.dataDir, 'admin-token'), () => randomBytes(24).toString('hex'));
  let integrations = config.integrations;
  if (options.integrations && integrations.length === 0) {
    const text = readOrCreate(localIntegrationFile(config.dataDir), () =>
      JSON.stringify([{ name: 'local', apiKey: 'local-dev-key', sharedSecret: randomBytes(24).toString('hex') } satisfies Integration], null, 2),
    );
    integrations = JSON.parse(text) as Integration[];
  }
  const passwords = Object.freeze({
    analyst: config.sqlDoor.passwords.analyst ?? readOrCreate(passwordFile(config.dataDir, 'analyst'), () => randomBytes(18).toString('base64url')),
    grafana: config.sqlDoor.passwords.grafana ?? readOrCreate(passwordFile(config.dataDir, 'grafana'), () => randomBytes(18).toString('base64url')),
  });
  const passwordSources = Object.freeze({
    analyst: config.sqlDoor.passwordSources.analyst || passwordFile(config.dataDir, 'analyst'),
    grafana: config.sqlDoor.passwordSources.grafana || passwordFile(config.dataDir, 'grafana'),
  });
  return Object.freeze({ ...config, pseudonymPepper: pepper, adminToken, integrations: Object.freeze([...integrations]), sqlDoor: Object.freeze({ ...config.sqlDoor, passwords, passwordSources }) });
}

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Config, Integration } from './config.js';

/**
 * On a laptop with nothing configured, `npm start` must still work: secrets that were not given
 * are generated once into DATA_DIR (mode 0600), never defaulted in code.
 */
function readOrCreate(path: string, create: () => string): string {
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = create();
  writeFileSync(path, value + '\n', { mode: 0o600 });
  return value;
}

export const localIntegrationFile = (dataDir: string) => join(dataDir, 'local-integration.json');
export const adminFile = (dataDir: string) => join(dataDir, 'admin.json');

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
  return Object.freeze({ ...config, pseudonymPepper: pepper, adminToken, integrations: Object.freeze([...integrations]) });
}

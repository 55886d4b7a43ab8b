import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { buildApp } from '../ingest/app.js';
import type { Sink } from '../pipeline/contract.js';
import { loadConfig } from '../lib/config.js';
import { createMetrics } from '../lib/metrics.js';

/** npm run openapi: writes docs/openapi.json, the document GET /openapi.json serves. */

const unused = async () => {
  throw new Error('the OpenAPI build never handles a request');
};
const sink: Sink = { accept: unused, quarantine: unused, reject: unused, ready: async () => ({}) };

export async function openApiDocument(): Promise<unknown> {
  const app = await buildApp({ config: loadConfig({}), sink, log: pino({ level: 'silent' }), metrics: createMetrics() });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}

export const openApiText = (doc: unknown): string => `${JSON.stringify(doc, null, 2)}\n`;
export const openApiPath = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'openapi.json');

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(openApiPath, openApiText(await openApiDocument()));
  console.log(`wrote ${openApiPath}`);
}

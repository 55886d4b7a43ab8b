import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'veriff');

/** Veriff's example payloads (copied from shared/domain/fixtures). */
export const fixtureNames = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.replace(/\.json$/, ''));
export const decisionFixtureNames = fixtureNames.filter((n) => n.startsWith('decision-'));

export function loadFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as T;
}

/** A decision of a fixture's shape with fresh ids, so suites never collide on a shared store. */
export function makeDecision(name: string, overrides: { sessionId?: string; attemptId?: string; decisionTime?: string; mutate?: (d: any) => void } = {}): any {
  const d = loadFixture(name);
  d.verification.id = overrides.sessionId ?? randomUUID();
  d.verification.attemptId = overrides.attemptId ?? randomUUID();
  if (overrides.decisionTime) d.verification.decisionTime = overrides.decisionTime;
  overrides.mutate?.(d);
  return d;
}

export function makeEvent(action: 'started' | 'submitted', sessionId: string, attemptId = randomUUID()): any {
  const e = loadFixture(action === 'started' ? 'event-started' : 'event-submitted');
  return { ...e, id: sessionId, attemptId };
}

export function makeConsent(sessionId: string, overrides: Partial<{ type: string; approved: boolean; givenAt: string; source: string; textVersion: string }> = {}) {
  return { sessionId, type: 'ine', approved: true, givenAt: '2025-06-01T10:00:00Z', source: 'web', textVersion: 'v1', ...overrides };
}

import type { PayloadKind } from '../schemas/messages.js';
import { decisionIdOf } from './decisions/decisions.normalize.js';
import { eventIdOf } from './events/events.normalize.js';
import { consentIdOf } from './consents/consents.normalize.js';

/** The identity a payload collapses on in ClickHouse (decision_id, event_id, consent_id). */
export function recordIdOf(kind: PayloadKind, payload: any): string {
  switch (kind) {
    case 'decision':
      return decisionIdOf(payload.verification);
    case 'event':
      return eventIdOf(payload);
    case 'consent':
      return consentIdOf(payload);
  }
}

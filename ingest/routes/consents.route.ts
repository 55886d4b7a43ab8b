import type { FastifyInstance } from 'fastify';
import { sha256Hex } from '../../lib/hash.js';
import type { FieldError } from '../../schemas/validation.js';
import { consentRecordSchema } from '../../schemas/consent.schema.js';
import type { AcceptedBatchItem } from '../../pipeline/contract.js';
import { parseJsonWith } from '../../schemas/validation.js';
import { decodeUtf8 } from '../body.js';
import type { IngestContext } from '../context.js';
import { rejectionOf } from '../rejections.js';
import { acceptMediaType, authorize, rawBody } from '../guards.js';

const ndjsonTypes = ['application/x-ndjson', 'application/ndjson', 'application/jsonl'];

/**
 * The company's own consent records: one JSON object, or NDJSON with one record a line.
 * Invalid records are answered 400 with field paths (the sender can fix and resend), never quarantined.
 */
export function consentRoutes(app: FastifyInstance, ctx: IngestContext): void {
  app.post('/consents', async (req, reply) => {
    const integration = await authorize(req, reply, ctx);
    const type = integration === null ? null : await acceptMediaType(req, reply, ctx, ['application/json', ...ndjsonTypes]);
    if (integration === null || type === null) return reply;
    const raw = rawBody(req);
    const ndjson = ndjsonTypes.includes(type);
    const text = decodeUtf8(raw);
    const lines = text === null ? [] : ndjson ? text.split('\n').map((l, i) => ({ line: i + 1, text: l.replace(/\r$/, '') })).filter((l) => l.text.trim() !== '') : [{ line: 1, text }];
    const receivedAt = new Date().toISOString();
    const accepted: AcceptedBatchItem[] = [];
    const rejected: Array<{ line: number; errors: FieldError[] }> = [];
    if (text === null) rejected.push({ line: 1, errors: [{ path: '(root)', message: 'body is not valid UTF-8' }] });
    else if (lines.length === 0) rejected.push({ line: 1, errors: [{ path: '(root)', message: 'no consent record in body' }] });
    for (const { line, text: record } of lines) {
      const parsed = parseJsonWith(consentRecordSchema, record);
      if (!parsed.ok) {
        rejected.push({ line, errors: parsed.errors });
        continue;
      }
      accepted.push({
        key: parsed.value.sessionId,
        message: { v: 1, kind: 'consent', deliveryId: ndjson ? `${req.id}:${line}` : String(req.id), integration, receivedAt, source: 'webhook', bodySha256: sha256Hex(record), body: record },
        payload: parsed.value,
      });
    }
    for (const r of rejected) {
      const body = ndjson ? lines.find((l) => l.line === r.line)?.text ?? raw : raw;
      await ctx.sink.reject(rejectionOf(req, { status: 400, reason: 'invalid_consent', integration, paths: r.errors.map((e) => e.path), body, idSuffix: ndjson ? String(r.line) : undefined }));
    }
    if (accepted.length) await ctx.sink.accept('consents', accepted);
    req.outcome = rejected.length === 0 ? 'accepted' : accepted.length ? 'partial' : 'rejected';
    if (!ndjson) {
      if (rejected.length) return reply.code(400).send({ error: 'validation_failed', message: 'consent record is invalid', details: rejected[0]!.errors });
      return reply.code(200).send({ status: 'accepted', accepted: 1, deliveryId: req.id });
    }
    const body = { status: req.outcome, accepted: accepted.length, acceptedLines: accepted.map((a) => Number(a.message.deliveryId.split(':').pop())), rejected };
    return reply.code(accepted.length === 0 ? 400 : 200).send(accepted.length === 0 ? { error: 'validation_failed', message: 'no valid consent record', ...body } : body);
  });
}

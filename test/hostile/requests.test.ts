import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hmacSha256Hex, sha256Hex } from '../../lib/hash.js';
import { makeDecision } from '../helpers/fixtures.js';
import { signedPost } from '../helpers/http.js';
import { startPipeline, type TestPipeline } from '../helpers/pipeline.js';
import { pollUntil } from '../helpers/poll.js';

/** Requests no honest sender makes: each gets a 4xx or a quarantine, never a 5xx, and the service keeps serving. */

const BODY_LIMIT = 65_536;
const REQUEST_TIMEOUT_MS = 1500;
const path = '/webhooks/veriff/decision';

describe('hostile requests', () => {
  let p: TestPipeline;
  beforeAll(async () => {
    p = await startPipeline('embedded', { env: { BODY_LIMIT_BYTES: String(BODY_LIMIT), REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), RATE_LIMIT_PER_MINUTE: '0' } });
  });
  afterAll(async () => {
    await p?.stop();
  });

  const rejection = (reason: string, bodySha256: string) =>
    pollUntil(
      () => p.query<{ status: number; reason: string; delivery_count: number }>('SELECT status, reason, delivery_count FROM ine_audit.rejected_events WHERE reason = {r:String} AND body_sha256 = {b:String}', { r: reason, b: bodySha256 }),
      (rows) => rows.length === 1,
      { timeoutMs: 10_000, what: `a ${reason} rejection row` },
    );
  const empty = sha256Hex('');

  it('a body over the limit: 413 and a rejection row, with or without Content-Length', async () => {
    const huge = JSON.stringify({ ...makeDecision('decision-approved-ine-match'), padding: 'x'.repeat(BODY_LIMIT * 3) });
    const res = await signedPost(p.url, path, huge, p.integration);
    expect(res).toMatchObject({ status: 413, body: { error: 'body_too_large' } });
    // Chunked, so the size is only known while reading.
    const chunked = await fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-auth-client': p.integration.apiKey, 'x-hmac-signature': hmacSha256Hex(p.integration.sharedSecret, huge) },
      body: new ReadableStream({
        start(controller) {
          for (let i = 0; i < huge.length; i += 16_384) controller.enqueue(new TextEncoder().encode(huge.slice(i, i + 16_384)));
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    const [row] = await rejection('body_too_large', empty);
    expect(row).toMatchObject({ status: 413 });
    expect(Number(row!.delivery_count)).toBe(2);
  });

  it('deep nesting: 5,000 levels inside an unknown field are kept (accepted); a 20,000-deep array body is quarantined', async () => {
    const deep = makeDecision('decision-approved-ine-match');
    const nested = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const text = JSON.stringify(deep).replace(/}$/, `,"unknownDeep":${nested}}`);
    const accepted = await signedPost(p.url, path, text, p.integration);
    expect(accepted).toMatchObject({ status: 200, body: { status: 'accepted' } });
    const [raw] = await p.query<{ body: string }>('SELECT body FROM ine_audit.raw_payloads WHERE session_id = {s:String}', { s: deep.verification.id });
    expect(raw!.body).toBe(text);

    const array = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    const quarantined = await signedPost(p.url, path, array, p.integration);
    expect(quarantined).toMatchObject({ status: 200, body: { status: 'quarantined', errors: [{ path: '(root)' }] } });
  });

  it.each([
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['multipart/form-data; boundary=x'],
    ['application/xml'],
    ['application/jsonx'],
  ])('Content-Type %s: 415 and a rejection row', async (contentType) => {
    const body = JSON.stringify(makeDecision('decision-approved-ine-match'));
    const res = await signedPost(p.url, path, body, p.integration, { contentType });
    expect(res).toMatchObject({ status: 415, body: { error: 'unsupported_media_type' } });
    await rejection('unsupported_media_type', sha256Hex(body));
  });

  it('no Content-Type at all: a 4xx, never a 5xx', async () => {
    const body = JSON.stringify(makeDecision('decision-approved-ine-match'));
    const res = await fetch(`${p.url}${path}`, {
      method: 'POST',
      headers: { 'x-auth-client': p.integration.apiKey, 'x-hmac-signature': hmacSha256Hex(p.integration.sharedSecret, body) },
      body: new TextEncoder().encode(body),
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('JSON with a charset parameter is accepted', async () => {
    const res = await signedPost(p.url, path, makeDecision('decision-approved-ine-match'), p.integration, { contentType: 'application/json; charset=utf-8' });
    expect(res).toMatchObject({ status: 200, body: { status: 'accepted' } });
  });

  it('invalid UTF-8, correctly signed: 200 quarantined, the exact bytes kept as base64', async () => {
    const good = Buffer.from(JSON.stringify(makeDecision('decision-approved-ine-match')));
    const bytes = Buffer.concat([good.subarray(0, 40), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), good.subarray(40)]);
    const res = await signedPost(p.url, path, bytes, p.integration);
    expect(res).toMatchObject({ status: 200, body: { status: 'quarantined', errors: [{ path: '(root)', message: 'body is not valid UTF-8' }] } });
    const [row] = await p.query<{ body: string; body_encoding: string }>('SELECT body, body_encoding FROM ine_audit.quarantine WHERE delivery_id = {d:String}', { d: res.body.deliveryId });
    expect(row).toEqual({ body: bytes.toString('base64'), body_encoding: 'base64' });
  });

  it.each([
    ['63 hex digits', (sig: string) => sig.slice(0, 63)],
    ['65 hex digits', (sig: string) => `${sig}0`],
    ['128 hex digits', (sig: string) => sig + sig],
    ['64 non-hex characters', () => 'zz'.repeat(32)],
    ['base64 of the right digest', (sig: string) => Buffer.from(sig, 'hex').toString('base64')],
    ['a single character', () => 'a'],
  ])('a signature of the wrong shape (%s): 401 bad_signature', async (_name, mangle) => {
    const body = makeDecision('decision-approved-ine-match');
    const sig = hmacSha256Hex(p.integration.sharedSecret, JSON.stringify(body));
    const res = await signedPost(p.url, path, body, p.integration, { signature: mangle(sig) });
    expect(res).toMatchObject({ status: 401, body: { error: 'unauthorized', message: 'bad signature' } });
  });

  it('a replayed request (same signed bytes five times) is one decision with five deliveries', async () => {
    const body = makeDecision('decision-approved-ine-match');
    const answers = await Promise.all(Array.from({ length: 5 }, () => signedPost(p.url, path, body, p.integration)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const [decisions] = await p.query<{ n: number }>('SELECT count() AS n FROM ine_audit.decisions WHERE session_id = {s:String}', { s: body.verification.id });
    const [deliveries] = await p.query<{ n: number }>('SELECT count() AS n FROM ine_audit.deliveries FINAL WHERE session_id = {s:String}', { s: body.verification.id });
    expect({ decisions: decisions!.n, deliveries: deliveries!.n }).toEqual({ decisions: 1, deliveries: 5 });
  });

  it('slow clients (stalled and trickling) do not hold up others and are cut off after the request timeout', async () => {
    const url = new URL(p.url);
    const body = JSON.stringify(makeDecision('decision-approved-ine-match'));
    const head = [
      `POST ${path} HTTP/1.1`, `Host: ${url.host}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`,
      `x-auth-client: ${p.integration.apiKey}`, `x-hmac-signature: ${hmacSha256Hex(p.integration.sharedSecret, body)}`, '', '',
    ].join('\r\n');
    const opened = Date.now();
    const slow = Array.from({ length: 30 }, (_, i) => {
      const socket: Socket = connect(Number(url.port), url.hostname);
      const closed = new Promise<{ at: number; answer: string }>((resolve) => {
        let answer = '';
        socket.on('data', (d) => (answer += d.toString('utf8')));
        socket.on('close', () => resolve({ at: Date.now(), answer }));
        socket.on('error', () => {});
      });
      socket.write(head + body.slice(0, 20));
      // Half of them trickle a byte every 200 ms (never idle long enough for the idle timeout).
      const timer = i % 2 ? setInterval(() => socket.write(' '), 200) : null;
      return { closed: closed.finally(() => timer && clearInterval(timer)) };
    });
    const during = await Promise.all(Array.from({ length: 10 }, () => signedPost(p.url, path, makeDecision('decision-approved-ine-match'), p.integration)));
    expect(during.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(Date.now() - opened).toBeLessThan(REQUEST_TIMEOUT_MS);

    const ends = await Promise.all(slow.map((s) => s.closed));
    ends.forEach((end, i) => {
      expect(end.at - opened).toBeLessThan(REQUEST_TIMEOUT_MS + 3000);
      // Tricklers get a 408; silent ones may simply be dropped by the idle timeout first.
      expect(end.answer).toMatch(i % 2 ? /^HTTP\/1\.1 408/ : /^(HTTP\/1\.1 408|)/);
    });
  });
});

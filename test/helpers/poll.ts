import { setTimeout as sleep } from 'node:timers/promises';

/** Poll with a deadline instead of sleeping; returns the last value that satisfied the predicate. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, options: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let last: T | undefined;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      last = await read();
      if (done(last)) return last;
    } catch (err) {
      lastError = err;
    }
    await sleep(options.intervalMs ?? 200);
  }
  throw new Error(`timed out waiting for ${options.what ?? 'condition'}; last value: ${JSON.stringify(last)}${lastError ? `; last error: ${(lastError as Error).message}` : ''}`);
}

import { signedPost, type TestIntegration } from './http.js';

/** Deliver many bodies with bounded concurrency, as Veriff's retries would; returns the answers in order. */
export async function deliverAll(baseUrl: string, path: string, bodies: unknown[], integration: TestIntegration, concurrency = 16) {
  const results: Array<Awaited<ReturnType<typeof signedPost>>> = new Array(bodies.length);
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const i = next++;
      results[i] = await signedPost(baseUrl, path, bodies[i], integration);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, bodies.length) }, worker));
  return results;
}

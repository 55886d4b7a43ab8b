import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DATABASE, insertOnce, queryRows, type ClickHouseClient } from '../lib/clickhouse.js';
import type { Logger } from '../lib/logger.js';

export interface Job {
  name: string;
  everyMs: number;
  run(client: ClickHouseClient): Promise<void>;
}

/**
 * Claims a job's time slot: every process inserts the same deduplication token, the first insert
 * is the only one stored (insertOnce), and its owner runs the slot.
 */
async function claimSlot(client: ClickHouseClient, job: string, slot: number, owner: string): Promise<boolean> {
  await insertOnce(client, `${DATABASE}.scheduled_runs`, { job, slot, owner }, `${job}-${slot}`);
  const [row] = await queryRows<{ owner: string }>(client, `SELECT argMin(owner, claimed_at) AS owner FROM ${DATABASE}.scheduled_runs WHERE job = {job:String} AND slot = {slot:UInt64}`, { job, slot });
  return row?.owner === owner;
}

/**
 * Scheduled work belongs to the processes that own the store (npm start, processors), never to a
 * CLI or the SQL door opening it. Each job runs once per slot of everyMs across all of them, the
 * first slot right after start; a run that fails is logged and retried in the next slot.
 */
export function startScheduledWork(client: ClickHouseClient, jobs: Job[], log: Logger): { stop: () => Promise<void> } {
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();

  const tick = (job: Job) => {
    if (stopped) return;
    const slot = Math.floor(Date.now() / job.everyMs);
    const work = (async () => {
      try {
        if (!(await claimSlot(client, job.name, slot, owner))) return;
        const started = performance.now();
        await job.run(client);
        log.info({ job: job.name, ms: Math.round(performance.now() - started) }, 'scheduled job done');
      } catch (err) {
        if (!stopped) log.warn({ err, job: job.name }, 'scheduled job failed; next slot retries');
      }
    })();
    running.add(work);
    void work.finally(() => {
      running.delete(work);
      if (stopped) return;
      const timer = setTimeout(() => (timers.delete(timer), tick(job)), (slot + 1) * job.everyMs - Date.now() + 10).unref();
      timers.add(timer);
    });
  };
  for (const job of jobs) tick(job);

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      // A run in flight finishes (a snapshot swap is atomic either way), within the shutdown's budget.
      await Promise.race([Promise.allSettled([...running]), new Promise((r) => setTimeout(r, 5000).unref())]);
    },
  };
}

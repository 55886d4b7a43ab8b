/**
 * Group commit: callers hand over items and wait until the group holding theirs is sent. While one
 * send is in flight, whatever arrives waits and goes out together in the next; when idle, items go out
 * on the next tick (so one tick's callers still share a send). A send's fixed cost, not a timer, sets
 * the group size; lingerMs only lets a busy service's group wait briefly for the rest of its burst. Used by the Kafka publisher and the embedded insert batcher.
 */
export interface GroupCommitOptions<T> {
  /** Sends one group; each caller in it resolves with it, or rejects with its error. */
  send(items: T[]): Promise<void>;
  weightOf(item: T): number;
  /** A group closes at this weight; a single heavier item still goes, alone. */
  maxWeight: number;
  /** An item that waited longer than afterMs is refused unsent, so a refusal means "not sent". */
  expiry?: { afterMs: number; error: () => Error };
  /**
   * While busy (a group sent within the last second), a group waits until nothing new arrived for
   * quietMs, at most lingerMs. Busy callers come in bursts: answered together, they send their next
   * items within a few ms of each other, and without the wait the first of them would go out almost
   * alone, paying a whole send's fixed cost, and the rest in the next. After a lull nothing waits.
   */
  lingerMs?: number;
  /** A burst is over once nothing arrived for this long (default 2 ms). */
  quietMs?: number;
}

export interface GroupCommit<T> {
  submit(item: T): Promise<void>;
  /** Resolves once everything submitted so far was sent (or refused). */
  flush(): Promise<void>;
}

interface Waiting<T> {
  item: T;
  weight: number;
  queuedAt: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/** A service that sent a group this recently is busy: its next group may linger for the burst. */
const BUSY_WITHIN_MS = 1000;
const QUIET_MS = 2;

export function groupCommit<T>(options: GroupCommitOptions<T>): GroupCommit<T> {
  const waiting: Array<Waiting<T>> = [];
  let running: Promise<void> | null = null;
  let scheduled = false;
  let waitingWeight = 0;
  let lastSentAt = 0;
  let arrived: (() => void) | null = null;

  const quietMs = options.quietMs ?? QUIET_MS;
  /** Resolves once no item arrived for quietMs, or after ms in all. */
  function lingerForBurst(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const deadline = Date.now() + ms;
      let timer: NodeJS.Timeout;
      const done = () => {
        clearTimeout(timer);
        arrived = null;
        resolve();
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, Math.min(quietMs, deadline - Date.now())));
      };
      arrived = () => (Date.now() >= deadline || waitingWeight >= options.maxWeight ? done() : arm());
      arm();
    });
  }

  function nextGroup(): Array<Waiting<T>> {
    const group: Array<Waiting<T>> = [];
    let weight = 0;
    while (waiting.length && (group.length === 0 || weight + waiting[0]!.weight <= options.maxWeight)) {
      const next = waiting.shift()!;
      waitingWeight -= next.weight;
      if (options.expiry && Date.now() - next.queuedAt > options.expiry.afterMs) {
        next.reject(options.expiry.error());
        continue;
      }
      group.push(next);
      weight += next.weight;
    }
    return group;
  }

  async function drain(): Promise<void> {
    while (waiting.length) {
      if (options.lingerMs && Date.now() - lastSentAt < BUSY_WITHIN_MS && waitingWeight < options.maxWeight) await lingerForBurst(options.lingerMs);
      const group = nextGroup();
      if (group.length === 0) continue;
      try {
        await options.send(group.map((w) => w.item));
        lastSentAt = Date.now();
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
  }

  function start(): void {
    scheduled = false;
    running ??= drain().finally(() => {
      running = null;
      // A caller resumed by the last send may have submitted before this ran, and found it still running.
      if (waiting.length && !scheduled) {
        scheduled = true;
        setImmediate(start);
      }
    });
  }

  return {
    submit(item) {
      return new Promise((resolve, reject) => {
        const weight = options.weightOf(item);
        waiting.push({ item, weight, queuedAt: Date.now(), resolve, reject });
        waitingWeight += weight;
        arrived?.();
        if (!running && !scheduled) {
          scheduled = true;
          setImmediate(start);
        }
      });
    },
    async flush() {
      while (running || waiting.length) {
        if (!running) start();
        await running;
      }
    },
  };
}

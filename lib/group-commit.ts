/**
 * Group commit: callers hand over items and wait until the group holding theirs is sent. While one
 * send is in flight, whatever arrives waits and goes out together in the next; when idle, items go out
 * on the next tick (so one tick's callers still share a send). No timer: a send's fixed cost, not a
 * wait, sets the group size. Used by the Kafka publisher and the embedded insert batcher.
 */
export interface GroupCommitOptions<T> {
  /** Sends one group; each caller in it resolves with it, or rejects with its error. */
  send(items: T[]): Promise<void>;
  weightOf(item: T): number;
  /** A group closes at this weight; a single heavier item still goes, alone. */
  maxWeight: number;
  /** An item that waited longer than afterMs is refused unsent, so a refusal means "not sent". */
  expiry?: { afterMs: number; error: () => Error };
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

export function groupCommit<T>(options: GroupCommitOptions<T>): GroupCommit<T> {
  const waiting: Array<Waiting<T>> = [];
  let running: Promise<void> | null = null;
  let scheduled = false;

  function nextGroup(): Array<Waiting<T>> {
    const group: Array<Waiting<T>> = [];
    let weight = 0;
    while (waiting.length && (group.length === 0 || weight + waiting[0]!.weight <= options.maxWeight)) {
      const next = waiting.shift()!;
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
      const group = nextGroup();
      if (group.length === 0) continue;
      try {
        await options.send(group.map((w) => w.item));
        for (const w of group) w.resolve();
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
  }

  function start(): void {
    scheduled = false;
    running ??= drain().finally(() => (running = null));
  }

  return {
    submit(item) {
      return new Promise((resolve, reject) => {
        waiting.push({ item, weight: options.weightOf(item), queuedAt: Date.now(), resolve, reject });
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

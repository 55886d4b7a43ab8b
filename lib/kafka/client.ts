import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';

const levelNames: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** The kafkajs client, logging through ours. */
export function kafkaClient(config: Config, log: Logger): Kafka {
  const brokers = config.kafka.brokers;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set');
  const kafkaLog = log.child({ component: 'kafkajs' });
  return new Kafka({
    clientId: config.kafka.clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 200, retries: 5, maxRetryTime: 5000 },
    logCreator: () => ({ namespace, level, log: entry }) => {
      const { message, timestamp: _t, logger: _l, ...rest } = entry;
      // kafkajs reports every broker outage as an error; the service decides what is an error, so cap at warn.
      kafkaLog[levelNames[level] === 'error' ? 'warn' : levelNames[level] ?? 'debug']({ ...rest, namespace }, message);
    },
    logLevel: logLevel.WARN,
  });
}

export function timeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Socket } from 'node:net';

const run = promisify(execFile);

export interface TestServices {
  kafkaBrokers: string;
  kafkaSource: 'env' | 'local-broker';
  clickhouseUrl: string | null;
  /** Only the local broker can be stopped and started again by fault tests. */
  kafkaControllable: boolean;
}

async function dockerAnswers(): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.connect(port, host);
  });
}

export async function kafkaScript(command: 'start' | 'stop' | 'status'): Promise<void> {
  await run('bash', ['scripts/kafka.sh', command], { timeout: 600_000, env: process.env });
}

export async function resolveServices(): Promise<{ services: TestServices; teardown: () => Promise<void> }> {
  const cleanups: Array<() => Promise<unknown>> = [];
  let kafkaBrokers = process.env.KAFKA_BROKERS;
  let kafkaSource: TestServices['kafkaSource'] = 'env';
  let clickhouseUrl = process.env.CLICKHOUSE_URL ?? null;
  const docker = !clickhouseUrl && (await dockerAnswers());

  if (!kafkaBrokers) {
    const port = Number(process.env.KAFKA_PORT ?? 9092);
    const alreadyRunning = await portOpen(port);
    if (!alreadyRunning) {
      await kafkaScript('start');
      cleanups.push(() => kafkaScript('stop'));
    }
    kafkaBrokers = `127.0.0.1:${port}`;
    kafkaSource = 'local-broker';
  }
  if (!clickhouseUrl && docker) {
    const { GenericContainer, Wait } = await import('testcontainers');
    const container = await new GenericContainer('clickhouse/clickhouse-server:26.7')
      .withExposedPorts(8123)
      .withEnvironment({ CLICKHOUSE_USER: 'default', CLICKHOUSE_PASSWORD: 'test', CLICKHOUSE_DEFAULT_ACCESS_MANAGEMENT: '1' })
      .withWaitStrategy(Wait.forHttp('/ping', 8123))
      .start();
    cleanups.push(() => container.stop());
    clickhouseUrl = `http://default:test@${container.getHost()}:${container.getMappedPort(8123)}`;
  }
  return {
    services: { kafkaBrokers, kafkaSource, clickhouseUrl, kafkaControllable: kafkaSource === 'local-broker' },
    teardown: async () => {
      for (const c of cleanups.reverse()) await c().catch(() => {});
    },
  };
}

import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CLICKHOUSE_PLUGIN_ID, CLICKHOUSE_PLUGIN_VERSION, PLUGIN_GRAFANA_DEPENDENCY } from '../../dashboards/src/datasource.js';
import { MACROS_PLUGIN_VERSION } from '../../dashboards/macros.js';
import { queryRows } from '../../lib/clickhouse.js';
import { testClickHouse } from '../helpers/clickhouse.js';

/**
 * What runs in docker-compose is what the tests run: one Kafka version (the local broker's jars, the
 * compose image), the ClickHouse engine chdb embeds, and the Grafana + plugin pair the dashboards and
 * dashboards/macros.ts follow. And docker-compose.yml as a real compose implementation reads it.
 */

const repo = join(import.meta.dirname, '..', '..');
const read = (path: string) => readFileSync(join(repo, path), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true });
const tagOf = (service: string) => String(compose.services[service].image).split(':')[1]!;
const version = (text: string) => text.split(/[.-]/).map(Number);
const atLeast = (v: string, min: string) => {
  const [a, b] = [version(v), version(min)];
  for (let i = 0; i < Math.max(a.length, b.length); i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
};

describe('one version of each part of the stack', () => {
  it('Kafka: the compose image is the local broker of scripts/kafka.sh (Maven Central jars)', () => {
    const broker = /<kafka\.version>([^<]+)<\/kafka\.version>/.exec(read('scripts/kafka/pom.xml'))![1]!;
    expect(compose.services.kafka.image).toBe(`apache/kafka:${broker}`);
    expect(broker).toBe('4.4.0');
  });

  it('ClickHouse: the compose server and the testcontainers image run the engine chdb embeds', async () => {
    const [row] = (await queryRows(await testClickHouse(), "SELECT version() AS v")) as Array<{ v: string }>;
    const v = row!.v;
    const [major, minor] = version(v);
    expect(compose.services.clickhouse.image).toBe(`clickhouse/clickhouse-server:${major}.${minor}`);
    expect(read('test/helpers/services.ts')).toContain(`'${compose.services.clickhouse.image}'`);
  });

  it('Grafana and the ClickHouse plugin: pinned, the plugin version the dashboards name, a Grafana it supports', () => {
    for (const service of ['grafana', 'grafana-embedded']) {
      expect(compose.services[service].environment.GF_PLUGINS_PREINSTALL_SYNC, service).toBe(`${CLICKHOUSE_PLUGIN_ID}@${CLICKHOUSE_PLUGIN_VERSION}`);
      expect(compose.services[service].environment.GF_INSTALL_PLUGINS, service).toBeUndefined();
      expect(tagOf(service)).toMatch(/^\d+\.\d+\.\d+$/);
      expect(atLeast(tagOf(service), PLUGIN_GRAFANA_DEPENDENCY), `${tagOf(service)} >= ${PLUGIN_GRAFANA_DEPENDENCY}`).toBe(true);
    }
    expect(MACROS_PLUGIN_VERSION).toBe(CLICKHOUSE_PLUGIN_VERSION);
    const panels = readFileSync(join(repo, 'dashboards', 'json', 'ine-face-match.json'), 'utf8');
    expect(JSON.parse(panels).panels.map((p: { targets: Array<{ pluginVersion: string }> }) => p.targets[0]!.pluginVersion)).toEqual(Array(8).fill(CLICKHOUSE_PLUGIN_VERSION));
  });

  it("the README's docker run recipe for Grafana beside npm start names the same Grafana and plugin", () => {
    const recipe = /```bash\n(docker run --rm --network host[\s\S]*?)```/.exec(read('README.md'))?.[1] ?? expect.fail('no docker run recipe in README.md');
    expect(recipe).toContain(`GF_PLUGINS_PREINSTALL_SYNC=${CLICKHOUSE_PLUGIN_ID}@${CLICKHOUSE_PLUGIN_VERSION}`);
    expect(recipe.trim().split(/\s+/).at(-1)).toBe(compose.services.grafana.image);
    for (const mount of recipe.matchAll(/\$PWD\/([^:]+):/g)) expect(existsSync(join(repo, mount[1]!)), mount[1]).toBe(true);
  });

  it('every image in the compose file has an exact tag', () => {
    for (const [name, service] of Object.entries<{ image?: string }>(compose.services)) {
      if (service.image) expect(service.image, name).toMatch(/:\d[\w.-]*$/);
    }
  });
});

describe('docker-compose.yml through compose-spec/compose-go, the loader of `docker compose`', () => {
  const dir = join(repo, 'test', 'compose');
  const binary = join(dir, 'validate');
  const load = async (envFile: string, ...profiles: string[]) => {
    const { stdout } = await promisify(execFile)(binary, [join(repo, 'docker-compose.yml'), envFile, ...profiles], { env: { PATH: process.env.PATH } });
    return JSON.parse(stdout);
  };
  let project: any;

  beforeAll(async () => {
    // Pinned by go.mod and go.sum, fetched from the Go module proxy the first time.
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: dir, env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' }, stdio: 'inherit', timeout: 600_000 });
    project = await load(join(repo, '.env.example'), '*');
  }, 600_000);

  it('resolves every service of the file, every profile included', () => {
    expect(Object.keys(project.services).sort()).toEqual(Object.keys(compose.services).sort());
  });

  it('leaves no variable unresolved: .env.example fills every reference', () => {
    const text = JSON.stringify(project);
    expect(text).not.toMatch(/\$\{|\$[A-Z_]/);
    expect(project.services.grafana.environment.ALERT_EMAIL_TO).toBe('compliance@example.com');
  });

  it('binds only paths that exist and mounts only declared volumes', () => {
    const declared = Object.keys(project.volumes ?? {});
    for (const [name, service] of Object.entries<any>(project.services)) {
      for (const v of service.volumes ?? []) {
        if (v.type === 'bind') expect(existsSync(v.source), `${name}: ${v.source}`).toBe(true);
        else expect(declared, `${name}: ${v.source}`).toContain(v.source);
      }
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(Object.keys(project.services), name).toContain(dependency);
    }
  });

  it('refuses to load without a required secret, naming it', async () => {
    const partial = join(mkdtempSync(join(tmpdir(), 'compose-env-')), '.env');
    writeFileSync(partial, read('.env.example').replace(/^ALERT_WEBHOOK_URL=.*$/m, ''));
    await expect(load(partial)).rejects.toThrow(/ALERT_WEBHOOK_URL/);
  });
});

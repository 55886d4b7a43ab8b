import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Run one of the project's CLIs (tsx cli/<name>.ts) with a pipeline's environment; returns stdout. */
export async function runCli(name: string, args: string[], env: Record<string, string>): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, ['--import', 'tsx', `cli/${name}.ts`, ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 });
}

/** The last JSON line a CLI printed (its machine-readable summary). */
export const lastJson = (stdout: string): any => JSON.parse(stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop()!);

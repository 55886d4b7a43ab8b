/** Argument parsing for `npm run audit`: kept apart from cli/audit.ts so it can be tested without running it. */

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgv {
  positionals: string[];
  /** Option name (without --) → value. */
  options: Map<string, string>;
  help: boolean;
}

/**
 * `--name value` / `--name=value` pairs and positionals. Every option takes a value and may appear
 * once; a value that starts with -- must use the `=` form, so a forgotten value is caught.
 */
export function parseArgv(argv: string[]): ParsedArgv {
  const positionals: string[] = [];
  const options = new Map<string, string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') help = true;
    else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (!/^[a-z][a-z0-9-]*$/.test(name)) throw new UsageError(`bad option "${arg}"`);
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw new UsageError(`--${name} needs a value (use --${name}=<value> for a value starting with --)`);
      if (options.has(name)) throw new UsageError(`--${name} given twice`);
      options.set(name, value);
    } else positionals.push(arg);
  }
  return { positionals, options, help };
}

/** Removes and returns one option, so what is left over can be reported as unknown. */
export function takeOption(options: Map<string, string>, name: string): string | undefined {
  const v = options.get(name);
  options.delete(name);
  return v;
}

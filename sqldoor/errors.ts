/** An exception as ClickHouse reports it: `Code: N. DB::Exception: message. (NAME)`. */
export class DoorError extends Error {
  override name = 'DoorError';
  constructor(
    readonly code: number,
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** ClickHouse's mapping (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp), except that a refusal is never a 5xx. */
export function httpStatus(code: number): number {
  if (code === 194 || code === 516 || code === 192 || code === 193) return 401;
  if (code === 497 || code === 164) return 403;
  if ([36, 27, 6, 26, 38, 41, 72, 76, 80, 427, 44, 16, 107, 8, 167, 168, 62, 117, 53, 321, 457, 456, 27].includes(code)) return 400;
  if ([60, 46, 47, 50, 56, 81, 115, 73, 63, 170, 181, 511].includes(code)) return 404;
  if (code === 159) return 408;
  if (code === 202) return 503;
  return 500;
}

/** An engine error's code and name, read from the message the engine wrote. */
export function fromEngine(err: unknown): DoorError {
  if (err instanceof DoorError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = Number(/Code: (\d+)\./.exec(message)?.[1] ?? 1002);
  const type = /\(([A-Z_]+)\)(?: \(version [^)]*\))?\.?\s*$/.exec(message)?.[1] ?? 'UNKNOWN_EXCEPTION';
  const text = message
    .replace(/Code: \d+\. DB::Exception: /g, '')
    .replace(/ \(version [^)]*\)/g, '')
    .replace(/\s?: In scope SELECT formatQuerySingleLine\([\s\S]*$/, '')
    .replace(/([.\s]*\([A-Z_]+\))+[.\s]*$/, '');
  return new DoorError(code, type, text);
}

export const exceptionText = (err: DoorError, version: string) => `Code: ${err.code}. DB::Exception: ${err.message}. (${err.type}) (version ${version})\n`;

// How failures read on stderr.
import { ApiError } from '../lib/errors.js';

/**
 * The message of an error, with each field cause of an Invalid error on its
 * own line: `Deployment "web" is invalid:` then `  * spec.replicas: ...`.
 */
export function problemText(e: unknown): string {
  if (!(e instanceof ApiError)) return e instanceof Error ? e.message : String(e);
  if (e.code === 'Invalid' && e.causes.length) {
    const i = e.message.indexOf(' is invalid');
    const head = i >= 0 ? e.message.slice(0, i + ' is invalid'.length) + ':' : e.message.replace(/:?\s*$/, ':');
    return [head, ...e.causes.map((c) => `  * ${c.field ? `${c.field}: ` : ''}${c.message}`)].join('\n');
  }
  return e.message;
}

/** `error: ...` as the last word of a failed command. */
export function errorLine(e: unknown): string {
  return `error: ${problemText(e)}`;
}

// Structured logs for every component: JSON lines on stderr via pino, so
// stdout stays free for what a command prints for people.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(component: string, level: string = process.env.TUG_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: component, level, base: { component, pid: process.pid } }, pino.destination(2));
}

import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * One JSON line per event on stdout. Secrets never reach the logger by design
 * (no headers or bodies are logged); the redact list is a second line of defence.
 */
export function createLogger(site: string, level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { site },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'privateKey', '*.d'],
        censor: '[redacted]',
      },
    },
    destination ?? process.stdout,
  );
}

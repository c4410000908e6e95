import { pino, type Logger, type LoggerOptions } from 'pino';
import { redactLogFields } from './log-redaction.js';

export type { Logger };

export interface LoggerSettings {
  level: LoggerOptions['level'];
  service: string;
  /** Where lines go; tests pass a stream to read them back. */
  destination?: pino.DestinationStream;
}

export function createLogger({ level, service, destination }: LoggerSettings): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    // Every call's fields are redacted (log-redaction.ts); placeholders in the message (`%o`,
    // `%j`) would bypass that, so lint refuses them in log calls.
    formatters: { level: (label) => ({ level: label }), log: redactLogFields },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // pino runs no formatter on a child's bindings (formatters.bindings is the root's only), so
  // they are redacted on the way in. Children inherit these from the root (pino makes each
  // one with Object.create(parent)), grandchildren too.
  const { child, setBindings } = logger;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactLogFields(bindings), childOptions);
  } as Logger['child'];
  logger.setBindings = function (this: Logger, bindings) {
    setBindings.call(this, redactLogFields(bindings));
  };
  return logger;
}

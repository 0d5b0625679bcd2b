import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

/** Header paths that must never reach a log line, wherever a component logs headers. */
const redactedPaths = [
  'headers.cookie',
  'headers.authorization',
  'headers["set-cookie"]',
  'headers["proxy-authorization"]',
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'cookie',
  'authorization',
];

/**
 * The root logger of one process: JSON lines to stdout, tagged with the node and the worker
 * (`worker: 0` is the primary). Components take children of it; nothing logs through a module
 * singleton.
 */
export function createLogger(options: {
  node: string;
  worker: number;
  level: LevelWithSilent;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      base: { node: options.node, worker: options.worker, pid: process.pid },
      redact: { paths: redactedPaths, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

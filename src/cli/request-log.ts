import type { LoggerOptions } from 'pino';
import type { LogLevel } from '../server/config/index.js';
import { redactUrl } from '../server/log-redaction.js';

interface ReplyLike {
  statusCode: number;
  request?: { method?: string; url?: string };
}

/**
 * Pino options for the hub's log: one line per request at `info` (Fastify's "request completed",
 * with the method and URL added to its `res`, and its `reqId`), instead of Fastify's two (its
 * "incoming request" line is dropped). Credentials in the URL (`access_token=...`) are redacted;
 * `createServer` redacts them again, with credential headers, whatever the options.
 *
 * @example
 * ```ts
 * createServer({ log, logger: requestLogOptions('info') });
 * // {"level":30,"reqId":"req-1","res":{"method":"POST","url":"/v1/events","statusCode":201},"responseTime":2.1,"msg":"request completed"}
 * ```
 */
export function requestLogOptions(level: LogLevel): Record<string, unknown> {
  const options: LoggerOptions = {
    level,
    serializers: {
      res: (reply: ReplyLike) => ({
        method: reply.request?.method,
        url: reply.request?.url === undefined ? undefined : redactUrl(reply.request.url),
        statusCode: reply.statusCode,
      }),
    },
    hooks: {
      logMethod(args, method) {
        if (args[1] === 'incoming request') return;
        method.apply(this, args);
      },
    },
  };
  return { ...options };
}

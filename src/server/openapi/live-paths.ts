import { errors, ref } from './refs.js';
import type { Operation, PathItem } from './types.js';

/** Both ways a live client may send its token: browsers cannot set headers on EventSource or WebSocket. */
const LIVE_SECURITY: Operation['security'] = [{ bearerAuth: [] }, { accessToken: [] }];

/**
 * The live routes: Server-Sent Events and WebSocket delivery that resume from the log
 * (`docs/live.md` has the details of each protocol).
 *
 * @example
 * ```ts
 * const paths = { ...LIVE_PATHS };
 * ```
 */
export const LIVE_PATHS: Readonly<Record<string, PathItem>> = {
  '/v1/sse': {
    get: {
      operationId: 'streamEventsSse',
      summary: 'Receive events as Server-Sent Events, resuming from the log',
      description:
        'One SSE message per event the caller may read: `id:` is the event position, no `event:` line by default (so the browser `onmessage` handler receives every event; `named=true` adds `event: <type>`), `data:` the StoredEvent as JSON. A reconnecting EventSource sends Last-Event-ID and resumes with no gap and no duplicate. Patterns, permissions and positions are checked before the stream starts, so those failures are ordinary JSON errors; once streaming, the stream ends only with a comment saying why (a client too far behind is disconnected and resumes from its last id).',
      tags: ['live'],
      security: LIVE_SECURITY,
      parameters: [
        ref('parameters', 'Types'),
        {
          name: 'from',
          in: 'query',
          description:
            'Where to start when not resuming: `start`, `end` (the default: only new events), a position (inclusive), or an RFC 3339 time (the first event recorded at or after it).',
          schema: { type: 'string' },
        },
        {
          name: 'lastEventId',
          in: 'query',
          description:
            'Resume after this position, for clients that cannot send Last-Event-ID; wins over `from`.',
          schema: { type: 'integer', minimum: 0 },
        },
        {
          name: 'named',
          in: 'query',
          description:
            '`true` names every message by its event type (`event: <type>`, for `addEventListener(type, ...)`); default `false`: unnamed messages, so one `onmessage` handler in the browser receives every type.',
          schema: { type: 'boolean', default: false },
        },
        {
          name: 'Last-Event-ID',
          in: 'header',
          description:
            'Resume after this position (sent by EventSource on reconnect); wins over both query parameters.',
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': {
          description: 'An endless stream of events.',
          headers: {
            'Herald-Events-Lost': {
              description:
                'Set when the positions asked for are no longer in the log (retention): `<from>-<to>`, inclusive; the stream continues after them.',
              schema: { type: 'string', pattern: '^[0-9]+-[0-9]+$' },
            },
          },
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        ...errors(400, 401, 403, 429, 503),
      },
    },
  },
  '/v1/ws': {
    get: {
      operationId: 'streamEventsWebSocket',
      summary: 'Subscribe to and publish events over a WebSocket',
      description:
        'A WebSocket upgrade (`Connection: Upgrade`, `Upgrade: websocket`). Messages are JSON objects with a `type`: the client sends `subscribe` (`id`, `patterns`, `from`, `lastEventId`), `unsubscribe` (`id`) and `publish` (`event`, `stream`, `expectedVersion`, `ref`); the hub sends the events of each subscription as they are appended, resuming from the log, and replies to publishes. A malformed message is answered with an `error` message (code INVALID_MESSAGE) and the socket stays open. Pings keep it alive; a client too far behind is closed and resumes from its last position.',
      tags: ['live'],
      security: LIVE_SECURITY,
      responses: {
        '101': { description: 'Switching Protocols: the WebSocket is open.' },
        ...errors(400, 401, 403, 429, 503),
      },
    },
  },
};

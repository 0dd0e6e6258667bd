import type { Socket } from 'node:net';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { HubContext } from '../hub-context.js';
import type { LiveFeed } from './live-feed.js';
import type { ResolvedLiveOptions } from './live-options.js';
import { settleWithin } from './sse-route.js';
import { WsSession } from './ws-session.js';

/** How long an upgrade socket may sit idle before the hub accepts or closes it. */
const UPGRADE_IDLE_MS = 10_000;

/** What the hub needs to stop the WebSocket endpoint. */
export interface WsEndpoint {
  /** Closes every socket with 1012 (service restart) and waits for them (up to the grace). */
  shutdown(): Promise<void>;
}

/**
 * `GET /v1/ws`: subscribe, unsubscribe and publish over one WebSocket, with JSON messages (see
 * `docs/live.md`). Registers `@fastify/websocket` on `app`; the upgrade request goes through the
 * hub's hooks first, so auth, IP rules and rate limits apply before a socket exists. Every
 * keep-alive interval each socket is pinged, and one that did not answer the previous ping is
 * terminated.
 *
 * @example
 * ```ts
 * const ws = wsRoute(app, ctx, feed, resolveLiveOptions(options.live));
 * app.addHook('preClose', () => ws.shutdown());
 * ```
 */
export function wsRoute(
  app: FastifyInstance,
  ctx: HubContext,
  feed: LiveFeed,
  options: ResolvedLiveOptions,
): WsEndpoint {
  const sessions = new Set<WsSession>();
  // Every socket Node handed over for an upgrade, accepted or not: shutdown waits for them all.
  const upgrades = new Set<Socket>();
  app.server.on('upgrade', (_request, socket: Socket) => {
    upgrades.add(socket);
    socket.once('close', () => upgrades.delete(socket));
    // Backstop for a refusal no hook closes (Fastify answers a bad URL with no hooks at all):
    // idle this long, the socket is cut. `ws` clears the timeout when it accepts the socket.
    socket.setTimeout(UPGRADE_IDLE_MS, () => socket.destroy());
  });
  let pinger: NodeJS.Timeout | undefined;
  let closing = false;

  void app.register(websocket, {
    options: { maxPayload: options.maxMessageBytes },
    errorHandler: (error, socket, request) => {
      if (!isProtocolError(error)) {
        request.log.error(error);
        socket.terminate();
        return;
      }
      // The client broke the protocol (a message over maxMessageBytes, text that is not UTF-8, a
      // bad frame): `ws` has queued the close frame with its code (1009, 1007, 1002) behind the
      // events still on their way. Cutting the connection now would drop it: it is cut only if
      // the close is not answered within the grace.
      request.log.info({ err: error }, 'WebSocket client broke the protocol; closing');
      const timer = setTimeout(() => socket.terminate(), options.closeGraceMs).unref();
      socket.once('close', () => clearTimeout(timer));
    },
  });
  // Routes with `websocket: true` must be added once the plugin has loaded.
  void app.register((api, _opts, done) => {
    api.get('/v1/ws', { websocket: true }, (socket, request) => {
      const session: WsSession = new WsSession(socket, {
        ctx,
        feed,
        options,
        principal: request.principal,
        logger: request.log,
        onGone: (reason) => {
          if (!sessions.delete(session)) return;
          ctx.metrics.clientClosed('ws', reason);
          if (sessions.size === 0) {
            clearInterval(pinger);
            pinger = undefined;
          }
        },
      });
      if (closing) {
        session.shutdown();
        return;
      }
      sessions.add(session);
      ctx.metrics.clientOpened('ws');
      pinger ??= setInterval(() => {
        for (const s of sessions) s.ping();
      }, options.keepAliveMs).unref();
    });
    done();
  });

  return {
    async shutdown() {
      closing = true;
      clearInterval(pinger);
      pinger = undefined;
      const open = [...sessions];
      for (const session of open) session.shutdown();
      // Refused upgrades close themselves (closeRefusedUpgrade); one still open after the grace
      // (a request whose hooks never finished, a peer that does not read) is cut, as the HTTP
      // server cuts its own connections, so closing never waits on a socket it does not manage.
      const sockets = [...upgrades];
      await settleWithin(
        [...open.map((s) => s.closed()), ...sockets.map((s) => closedSocket(s))],
        options.closeGraceMs,
      );
      for (const session of open) session.terminate();
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** An error `ws` raises for what the peer sent (its codes are `WS_ERR_*`); it closes the socket itself. */
function isProtocolError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('WS_ERR_');
}

function closedSocket(socket: Socket): Promise<void> {
  if (socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

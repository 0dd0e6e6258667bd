import type { Socket } from 'node:net';
import type { onResponseHookHandler } from 'fastify';

/**
 * An `onResponse` hook that closes the socket of an upgrade request answered with a plain HTTP
 * response (401, 403, 404, 421, 429, any hook error), once the response is written.
 *
 * Why: Node hands an upgrade request's socket to the `upgrade` listeners and stops managing it
 * (no parser, no timeouts, no `closeAllConnections`). `@fastify/websocket` answers a refusal on
 * that socket through a detached `ServerResponse` and destroys the socket in its own `onResponse`
 * hook only when its `onRequest` hook ran, which it does not when an earlier hook (auth, origin,
 * IP rules) failed or when no route matched. Such a socket stayed open for good: one fd each,
 * CLOSE-WAIT once the client left, and `server.close()` waited for it forever.
 * Accepted upgrades hijack the reply, so this hook never sees them.
 *
 * @example
 * ```ts
 * app.addHook('onResponse', closeRefusedUpgrade(5_000));
 * ```
 */
export function closeRefusedUpgrade(graceMs: number): onResponseHookHandler {
  return (request, _reply, done) => {
    // Node's parser sets `upgrade` on requests it emitted as 'upgrade' (not in @types/node).
    if ((request.raw as { upgrade?: boolean }).upgrade === true) endSocket(request.raw.socket, graceMs);
    done();
  };
}

/** Ends the socket once what was written has gone out, and destroys it after `graceMs` at the latest. */
function endSocket(socket: Socket, graceMs: number): void {
  if (socket.destroyed) return;
  // A peer that does not read may keep the response from ever flushing: the timer cuts it.
  const timer = setTimeout(() => socket.destroy(), graceMs).unref();
  socket.once('close', () => clearTimeout(timer));
  socket.end(() => socket.destroy());
}

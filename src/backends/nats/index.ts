/**
 * `herald/nats`: the shared, durable EventLog on NATS JetStream (`@nats-io/transport-node` and
 * `@nats-io/jetstream`, optional peer dependencies that only this subpath imports).
 */
export { natsLog } from './nats-log-factory.js';
export type { NatsLogOptions } from './options.js';
export { natsTransport, type NatsTransport, type NatsTransportOptions } from './transport.js';

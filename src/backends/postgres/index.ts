/**
 * `herald/postgres`: the shared, durable EventLog on PostgreSQL (`pg`, an optional peer
 * dependency that only this subpath imports), and the transactional outbox.
 */
export { postgresLog } from './postgres-log-factory.js';
export { appendInTransaction, type OutboxAppendOptions } from './outbox.js';
export type { PostgresLogOptions } from './options.js';

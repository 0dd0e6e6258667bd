export { loadConfig, DEFAULT_CONFIG_FILE, type LoadConfigOptions } from './load-config.js';
export { assertSafeBind, toServerOptions } from './to-server-options.js';
export { CONFIG_KEYS, envName, flagProperty, LOG_LEVELS, type ConfigKey } from './config-keys.js';
export { OTHER_VARIABLES } from './env-layer.js';
export type { HubConfig, LoadedConfig, LogLevel } from './hub-config.js';

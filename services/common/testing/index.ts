// Test kit shared by every service's tests (not part of the runtime build).
export * from './processes.js';
export * from './shared-services.js';
export * from './routes.js';
export * from './sql-statements.js';

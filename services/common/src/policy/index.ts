export * from './aliases.js';
export * from './bounded-regex.js';
export * from './effective.js';
export * from './reader.js';
export * from './schema.js';
export * from './secrets.js';

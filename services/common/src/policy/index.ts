export * from './reader.js';
export * from './schema.js';

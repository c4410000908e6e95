export * from './bootstrap.js';
export * from './middleware.js';
export * from './principal.js';
export * from './resolver.js';

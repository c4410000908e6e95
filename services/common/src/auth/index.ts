export * from './middleware.js';
export * from './principal.js';
export * from './resolver.js';

export * from './actions.js';
export * from './event.js';
export * from './publisher.js';
export * from './vocabularies.js';
export * from './actor.js';
export * from './stream-format.js';

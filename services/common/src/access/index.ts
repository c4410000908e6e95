export * from './abilities.js';
export * from './admin-addresses.js';
export * from './email-domain.js';
export * from './ip-allowlist.js';
export * from './authorize.js';
export * from './kit.js';

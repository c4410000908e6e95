// The allowlist match lives in common (every service's authentication applies it).
export { ipAllowed } from '@airlock/common';

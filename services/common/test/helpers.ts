// Small builders shared by common's tests.
import { randomBytes } from 'node:crypto';

export const TEST_KEY = randomBytes(32).toString('base64');

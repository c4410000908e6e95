import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { jsonPath, problemsOf, validationFailed } from '../../src/http/validation.js';

describe('validation_failed details', () => {
  it('names each problem by JSON path from the root', () => {
    expect(jsonPath([])).toBe('$');
    expect(jsonPath(['limits', 'perRole', 0, 'rpm'])).toBe('$.limits.perRole[0].rpm');
  });

  it('is { problems: [{ path, message }] }, with the 400 validation_failed code', () => {
    const result = z.object({ name: z.string().min(1), tags: z.array(z.string()) }).safeParse({
      name: '',
      tags: ['ok', 3],
    });
    if (result.success) throw new Error('expected a failure');
    const error = validationFailed(problemsOf(result.error.issues), 'request body is invalid');
    expect(error.code).toBe('validation_failed');
    expect(error.status).toBe(400);
    expect(error.details).toEqual({
      problems: [
        { path: '$.name', message: expect.any(String) },
        { path: '$.tags[1]', message: expect.any(String) },
      ],
    });
  });

  it('can name the field only, so a zod message cannot quote a secret input', () => {
    const result = z.object({ password: z.literal('x') }).safeParse({ password: 'hunter2' });
    if (result.success) throw new Error('expected a failure');
    expect(problemsOf(result.error.issues, { message: false })).toEqual([
      { path: '$.password', message: 'is invalid' },
    ]);
  });
});

// Prisma's error codes we map to API errors (the driver adapter keeps them).
export function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: unknown })?.code === 'P2002';
}

export function isForeignKeyViolation(e: unknown): boolean {
  return (e as { code?: unknown })?.code === 'P2003';
}

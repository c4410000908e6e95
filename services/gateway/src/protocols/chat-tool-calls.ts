// How a chat completions stream's tool-call deltas are grouped into calls, for every API
// the gateway translates a chat stream into (Messages, Responses).

/**
 * Is this delta part of the open call? Same index, and no new id: some servers send each of
 * several calls whole, every one at index 0 (or with none), told apart only by its id.
 */
export function sameCall(
  open: { upstreamIndex: number; upstreamId: string } | undefined,
  index: number,
  id: string,
): boolean {
  return (
    open !== undefined &&
    open.upstreamIndex === index &&
    (id === '' || open.upstreamId === '' || id === open.upstreamId)
  );
}

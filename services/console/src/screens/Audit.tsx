// The audit trail: filters, pages, export (NDJSON or CSV, the same filters) and the hash-chain
// check with its result.
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api } from '../api/client';
import type { AuditEvent } from '../api/types';
import { Button, Empty, ErrorBox, Loading, Page, Select, TextField, when } from '../components/ui';

interface Filters {
  actor: string;
  action: string;
  outcome: 'any' | 'success' | 'failure' | 'denied';
  from: string;
  to: string;
}

interface Verify {
  ok: boolean;
  checked: number;
  head: { seq: string; hash: string } | null;
  firstBroken: { id: string; seq: string; reason: string } | null;
}

const EMPTY: Filters = { actor: '', action: '', outcome: 'any', from: '', to: '' };

/** Local "2026-12-06T10:00" (or any date the browser parses) -> ISO for the API. */
function iso(text: string): string | undefined {
  if (!text.trim()) return undefined;
  const d = new Date(text);
  return Number.isNaN(d.getTime()) ? text : d.toISOString();
}

function query(f: Filters): URLSearchParams {
  const q = new URLSearchParams();
  if (f.actor.trim()) q.set('actor', f.actor.trim());
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.outcome !== 'any') q.set('outcome', f.outcome);
  const from = iso(f.from);
  const to = iso(f.to);
  if (from) q.set('from', from);
  if (to) q.set('to', to);
  return q;
}

export function Audit() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const events = useInfiniteQuery({
    queryKey: ['audit', filters],
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const q = query(filters);
      q.set('limit', '50');
      if (pageParam) q.set('cursor', pageParam);
      return api<{ data: AuditEvent[]; nextCursor: string | null }>(`/api/v1/audit-events?${q}`);
    },
    getNextPageParam: (last) => last.nextCursor,
  });
  const verify = useMutation({ mutationFn: () => api<Verify>('/api/v1/audit-events/verify') });
  const set = (k: keyof Filters) => (v: string) => setDraft((d) => ({ ...d, [k]: v }));
  const exportUrl = (format: 'ndjson' | 'csv') => {
    const q = query(filters);
    q.set('format', format);
    return `/api/v1/audit-events/export?${q}`;
  };
  const rows = events.data?.pages.flatMap((p) => p.data) ?? [];

  return (
    <Page
      title="Audit"
      actions={
        <div className="row">
          <a className="btn btn-secondary" href={exportUrl('ndjson')} download>
            Export NDJSON
          </a>
          <a className="btn btn-secondary" href={exportUrl('csv')} download>
            Export CSV
          </a>
          <Button onPress={() => verify.mutate()} isDisabled={verify.isPending}>
            Verify chain
          </Button>
        </div>
      }
    >
      {verify.isPending && <Loading what="the chain check" />}
      {verify.isError && <ErrorBox error={verify.error} />}
      {verify.data && (
        <p className={`callout ${verify.data.ok ? '' : 'warn'}`} role="status">
          {verify.data.ok
            ? `Chain intact: ${verify.data.checked} events checked${verify.data.head ? `, head #${verify.data.head.seq} ${verify.data.head.hash.slice(0, 16)}…` : ''}.`
            : `Chain broken at event #${verify.data.firstBroken?.seq} (${verify.data.firstBroken?.reason}) after ${verify.data.checked} events.`}
        </p>
      )}
      <Form
        className="card row wrap align-end"
        aria-label="Filter audit events"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
        }}
      >
        <TextField label="Actor (id or email)" value={draft.actor} onChange={set('actor')} />
        <TextField
          label="Action"
          value={draft.action}
          onChange={set('action')}
          description="e.g. token.created, policy.updated"
        />
        <Select
          label="Outcome"
          value={draft.outcome}
          onChange={set('outcome')}
          options={[
            { id: 'any', label: 'any' },
            { id: 'success', label: 'success' },
            { id: 'failure', label: 'failure' },
            { id: 'denied', label: 'denied' },
          ]}
        />
        <TextField label="From" value={draft.from} onChange={set('from')} placeholder="2026-12-01 09:00" />
        <TextField label="To" value={draft.to} onChange={set('to')} placeholder="2026-12-06 18:00" />
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
      </Form>
      {events.isPending ? (
        <Loading what="audit events" />
      ) : events.isError ? (
        <ErrorBox error={events.error} retry={() => void events.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>No events match these filters.</Empty>
      ) : (
        <>
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Outcome</th>
                <th scope="col">Target</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.id}>
                  <td>{when(e.time)}</td>
                  <td>{e.actor.email ?? `${e.actor.type} ${e.actor.id ?? ''}`}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>{e.outcome}</td>
                  <td>{e.target ? `${e.target.type} ${e.target.id.slice(0, 8)}` : ''}</td>
                  <td className="details">
                    <code>{JSON.stringify(e.details)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {events.hasNextPage && (
            <Button onPress={() => void events.fetchNextPage()} isDisabled={events.isFetchingNextPage}>
              Load more
            </Button>
          )}
        </>
      )}
    </Page>
  );
}

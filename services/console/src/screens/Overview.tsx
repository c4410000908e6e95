// Usage over 24 h / 7 d / 30 d from ai.request audit metadata (never content): the whole org
// for owners and admins, one's own for members and viewers (the API scopes it).
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { ToggleButton, ToggleButtonGroup } from 'react-aria-components';
import { api } from '../api/client';
import type { UsageRow, UsageStats } from '../api/types';
import { Empty, ErrorBox, Loading, Page } from '../components/ui';

const WINDOWS = ['24h', '7d', '30d'] as const;
type Window = (typeof WINDOWS)[number];
const n = (v: number) => v.toLocaleString();

export function Overview() {
  const [window, setWindow] = useState<Window>('24h');
  const stats = useQuery({
    queryKey: ['stats', window],
    queryFn: () => api<UsageStats>(`/api/v1/audit/stats?window=${window}`),
  });
  return (
    <Page
      title="Overview"
      actions={
        <ToggleButtonGroup
          aria-label="Time window"
          selectionMode="single"
          disallowEmptySelection
          selectedKeys={[window]}
          onSelectionChange={(keys) => {
            const [k] = [...keys];
            if (k) setWindow(String(k) as Window);
          }}
          className="toggles"
        >
          {WINDOWS.map((w) => (
            <ToggleButton key={w} id={w} className="toggle">
              {w}
            </ToggleButton>
          ))}
        </ToggleButtonGroup>
      }
    >
      {stats.isPending ? (
        <Loading what="usage" />
      ) : stats.isError ? (
        <ErrorBox error={stats.error} retry={() => void stats.refetch()} />
      ) : (
        <Usage stats={stats.data} />
      )}
    </Page>
  );
}

function Usage({ stats }: { stats: UsageStats }) {
  const t = stats.totals;
  return (
    <>
      <p className="muted">
        {stats.scope === 'org' ? 'Everyone in your organisation' : 'Your own requests'},{' '}
        {new Date(stats.from).toLocaleString()} – {new Date(stats.to).toLocaleString()}. Counted from request
        metadata, never prompt content.
      </p>
      <dl className="cards">
        <div className="card stat">
          <dt>Requests</dt>
          <dd>{n(t.requests)}</dd>
        </div>
        <div className="card stat">
          <dt>Errors</dt>
          <dd>{n(t.errors)}</dd>
        </div>
        <div className="card stat">
          <dt>Prompt tokens</dt>
          <dd>{n(t.promptTokens)}</dd>
        </div>
        <div className="card stat">
          <dt>Completion tokens</dt>
          <dd>{n(t.completionTokens)}</dd>
        </div>
      </dl>
      {t.requests === 0 ? (
        <Empty>No model requests in this window yet. Connect a tool to get started.</Empty>
      ) : (
        <>
          <Series series={stats.series} />
          <div className="grid2">
            <Breakdown title={stats.scope === 'org' ? 'By person' : 'You'} rows={stats.byPerson} />
            <Breakdown title="By model" rows={stats.byModel} />
            <Breakdown title="By upstream" rows={stats.byUpstream} />
            <Breakdown title="By client tool" rows={stats.byClientTool} />
          </div>
        </>
      )}
    </>
  );
}

/** Requests per bucket as an SVG bar chart (attributes, not style: the CSP allows no inline styles). */
function Series({ series }: { series: UsageStats['series'] }) {
  const max = Math.max(1, ...series.map((s) => s.requests));
  const w = 100 / Math.max(1, series.length);
  return (
    <figure className="card chart">
      <figcaption>Requests over time (errors in red)</figcaption>
      <svg viewBox="0 0 100 40" preserveAspectRatio="none" role="img" aria-label="Requests per time bucket">
        {series.map((s, i) => {
          const h = (s.requests / max) * 38;
          const e = (s.errors / max) * 38;
          return (
            <g key={s.t}>
              <title>{`${new Date(s.t).toLocaleString()}: ${s.requests} requests, ${s.errors} errors`}</title>
              <rect className="bar" x={i * w + w * 0.1} y={40 - h} width={w * 0.8} height={h} />
              <rect className="bar-error" x={i * w + w * 0.1} y={40 - e} width={w * 0.8} height={e} />
            </g>
          );
        })}
      </svg>
    </figure>
  );
}

function Breakdown({ title, rows }: { title: string; rows: UsageRow[] }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <Empty>Nothing recorded.</Empty>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col" className="num">
                Requests
              </th>
              <th scope="col" className="num">
                Errors
              </th>
              <th scope="col" className="num">
                Tokens
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key}>
                <td>{r.label || r.key || '(none)'}</td>
                <td className="num">{n(r.requests)}</td>
                <td className="num">{n(r.errors)}</td>
                <td className="num">{n(r.promptTokens + r.completionTokens)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

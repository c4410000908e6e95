// Policy versions: who saved what when, a diff between any two versions, and rollback (which
// appends a copy of the old version as the newest).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, send } from '../../api/client';
import { can, useMe } from '../../api/hooks';
import type { PolicyVersion, PolicyView } from '../../api/types';
import { Confirm, Empty, ErrorBox, Loading, Select, when } from '../../components/ui';
import { diffLines } from './draft';

export function History({ currentVersion }: { currentVersion: number }) {
  const me = useMe();
  const client = useQueryClient();
  const versions = useQuery({
    queryKey: ['policy-versions', currentVersion],
    queryFn: () => api<{ data: PolicyVersion[] }>('/api/v1/policy/versions'),
  });
  const rollback = useMutation({
    mutationFn: (version: number) =>
      send<PolicyView>('/api/v1/policy/rollback', {
        method: 'POST',
        headers: { 'if-match': `"${currentVersion}"` },
        body: { version },
      }),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: ['policy'] });
      void client.invalidateQueries({ queryKey: ['policy-versions'] });
    },
  });
  const list = versions.data?.data ?? [];
  const [from, setFrom] = useState<string>();
  const [to, setTo] = useState<string>();
  const a = from ?? String(list[1]?.version ?? list[0]?.version ?? '');
  const z = to ?? String(list[0]?.version ?? '');

  if (versions.isPending) return <Loading what="versions" />;
  if (versions.isError) return <ErrorBox error={versions.error} retry={() => void versions.refetch()} />;
  if (list.length === 0) return <Empty>No saved versions yet: the organisation runs on the defaults.</Empty>;
  const options = list.map((v) => ({ id: String(v.version), label: `version ${v.version}` }));
  return (
    <>
      {rollback.isError && <ErrorBox error={rollback.error} />}
      <table>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Saved</th>
            <th scope="col">Comment</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {list.map((v) => (
            <tr key={v.version}>
              <td>
                {v.version}
                {v.version === currentVersion ? ' (current)' : ''}
              </td>
              <td>{when(v.createdAt)}</td>
              <td>{v.comment ?? ''}</td>
              <td className="actions">
                {v.version !== currentVersion && can(me.data).editPolicy && (
                  <Confirm
                    variant="primary"
                    trigger="Roll back"
                    triggerLabel={`Roll back to version ${v.version}`}
                    title={`Roll back to version ${v.version}?`}
                    body={`A copy of version ${v.version} becomes version ${currentVersion + 1}. Nothing is deleted.`}
                    confirm="Roll back"
                    onConfirm={() => rollback.mutate(v.version)}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>Compare versions</h2>
      <div className="row">
        <Select label="From" value={a} options={options} onChange={setFrom} />
        <Select label="To" value={z} options={options} onChange={setTo} />
      </div>
      {a && z && <Diff from={Number(a)} to={Number(z)} />}
    </>
  );
}

function Diff({ from, to }: { from: number; to: number }) {
  const load = (v: number) => ({
    queryKey: ['policy-version', v],
    queryFn: () => api<PolicyView>(`/api/v1/policy/versions/${v}`),
    staleTime: Infinity,
  });
  const a = useQuery(load(from));
  const b = useQuery(load(to));
  if (a.isPending || b.isPending) return <Loading what="the diff" />;
  if (a.isError || b.isError) return <ErrorBox error={a.error ?? b.error} />;
  const rows = diffLines(JSON.stringify(a.data.policy, null, 2), JSON.stringify(b.data.policy, null, 2));
  const changed = rows.filter((r) => r.kind !== ' ').length;
  return (
    <figure className="card">
      <figcaption>
        Version {from} → {to}: {changed === 0 ? 'no differences' : `${changed} changed lines`}
      </figcaption>
      <pre className="diff" tabIndex={0} aria-label={`Differences from version ${from} to ${to}`}>
        {rows.map((r, i) => (
          <span key={i} className={r.kind === '+' ? 'add' : r.kind === '-' ? 'del' : 'same'}>
            {r.kind === ' ' ? '  ' : `${r.kind} `}
            {r.text}
            {'\n'}
          </span>
        ))}
      </pre>
    </figure>
  );
}

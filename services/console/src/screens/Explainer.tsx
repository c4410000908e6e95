// Why a request for a model would be allowed or refused, step by step, as the gateway's own
// decision code answers it (POST /api/v1/access/explain). Nothing is consumed.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api } from '../api/client';
import { can, useMe } from '../api/hooks';
import { ROLES, type Explanation, type Member } from '../api/types';
import { Button, ErrorBox, Loading, Page, Select, TextField } from '../components/ui';

const STEP_NAMES: Record<string, string> = {
  role_ability: 'Role may use models',
  model_allowed: 'Model allowed for the role',
  alias: 'Alias',
  privacy_mode: 'Privacy mode',
  destination: 'Destination rule',
  upstream_available: 'Upstream available',
  limits: 'Limits and quotas',
};

interface Ask {
  model: string;
  userId?: string;
  role?: string;
}

export function Explainer() {
  const me = useMe();
  const rights = can(me.data);
  const [who, setWho] = useState('self');
  const [model, setModel] = useState('');
  const [ask, setAsk] = useState<Ask>();
  const members = useQuery({
    queryKey: ['members'],
    queryFn: () => api<{ data: Member[] }>('/api/v1/members'),
    enabled: rights.explainOthers,
  });
  const answer = useQuery({
    queryKey: ['explain', ask],
    queryFn: () => api<Explanation>('/api/v1/access/explain', { method: 'POST', body: ask }),
    enabled: ask !== undefined,
  });
  const options = [
    { id: 'self', label: 'Myself' },
    ...(rights.explainOthers
      ? [
          ...ROLES.map((r) => ({ id: `role:${r}`, label: `Any ${r}` })),
          ...(members.data?.data ?? []).map((m) => ({ id: `user:${m.userId}`, label: m.email })),
        ]
      : []),
  ];

  return (
    <Page title="Access explainer">
      <p className="muted">
        Pick {rights.explainOthers ? 'a member or a role' : 'a model'} and see whether a request would be
        allowed, and why, by the same decision code the gateway runs.
      </p>
      <Form
        className="card row wrap align-end"
        aria-label="Explain access"
        onSubmit={(e) => {
          e.preventDefault();
          const [kind, id] = who.split(':');
          setAsk({
            model: model.trim(),
            ...(kind === 'user' ? { userId: id } : kind === 'role' ? { role: id } : {}),
          });
        }}
      >
        <Select label="Who" value={who} options={options} onChange={setWho} />
        <TextField label="Model" value={model} onChange={setModel} isRequired />
        <Button type="submit" variant="primary" isDisabled={!model.trim()}>
          Explain
        </Button>
      </Form>
      {ask === undefined ? null : answer.isPending ? (
        <Loading what="the decision" />
      ) : answer.isError ? (
        <ErrorBox error={answer.error} retry={() => void answer.refetch()} />
      ) : (
        <section className="card" aria-live="polite" aria-labelledby="verdict">
          <h2 id="verdict" className={answer.data.allowed ? 'ok' : 'bad'}>
            {answer.data.allowed ? 'Allowed' : 'Refused'}: {answer.data.model}
            {answer.data.resolvedModel !== answer.data.model
              ? ` (→ ${answer.data.resolvedModel})`
              : ''} for {answer.data.role}
          </h2>
          {answer.data.code && (
            <p>
              The gateway would answer <code>{answer.data.code}</code>.
            </p>
          )}
          {answer.data.upstream && (
            <p>
              Upstream: {answer.data.upstream.name} ({answer.data.upstream.kind}
              {answer.data.upstream.cloud ? ', cloud' : ', on-prem'})
            </p>
          )}
          <ol className="steps">
            {answer.data.steps.map((s) => (
              <li key={s.id} className={`step ${s.outcome}`}>
                <span className="outcome">
                  {s.outcome === 'pass' ? '✓ pass' : s.outcome === 'fail' ? '✗ fail' : '– skip'}
                </span>{' '}
                <strong>{STEP_NAMES[s.id] ?? s.id}</strong>: {s.message}
                {s.code ? (
                  <>
                    {' '}
                    (<code>{s.code}</code>)
                  </>
                ) : null}
              </li>
            ))}
          </ol>
        </section>
      )}
      {members.isError && <ErrorBox error={members.error} />}
    </Page>
  );
}

// API tokens: one's own (create — the secret is shown once —, rotate with grace, revoke) and,
// for owners and admins, every token of the org.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api, ApiError } from '../api/client';
import { can, useMe } from '../api/hooks';
import type { Member, Token } from '../api/types';
import {
  Button,
  Confirm,
  CopyButton,
  Empty,
  ErrorBox,
  Page,
  Select,
  TextField,
  when,
  QueryRows,
} from '../components/ui';

const GRACE = [
  { id: '0', label: 'Old secret stops now' },
  { id: '3600', label: 'Old secret works 1 more hour' },
  { id: '86400', label: 'Old secret works 1 more day' },
] as const;

function status(t: Token): string {
  if (t.revokedAt) return `revoked ${when(t.revokedAt)}`;
  if (t.expiresAt && new Date(t.expiresAt) < new Date()) return 'expired';
  return 'active';
}

export function Tokens() {
  const me = useMe();
  const rights = can(me.data);
  const [secret, setSecret] = useState<{ name: string; token: string }>();
  if (!rights.useModels)
    return (
      <Page title="Tokens">
        <Empty>Viewers hold no API tokens: they use no models.</Empty>
      </Page>
    );
  return (
    <Page title="Tokens">
      {secret && (
        <div className="callout" role="status">
          <h2>Token “{secret.name}”</h2>
          <p>Copy it now: it is shown only once and cannot be read again.</p>
          <p>
            <code className="secret" data-testid="new-token">
              {secret.token}
            </code>
          </p>
          <div className="row">
            <CopyButton text={secret.token} label="Copy token" />
            <Button onPress={() => setSecret(undefined)}>I have copied it</Button>
          </div>
        </div>
      )}
      <CreateToken onCreated={setSecret} />
      <TokenList title="My tokens" all={false} onSecret={setSecret} />
      {rights.allTokens && <TokenList title="All tokens in the organisation" all onSecret={setSecret} />}
    </Page>
  );
}

function CreateToken({ onCreated }: { onCreated: (s: { name: string; token: string }) => void }) {
  const client = useQueryClient();
  const [name, setName] = useState('');
  const [days, setDays] = useState('');
  const create = useMutation({
    mutationFn: () =>
      api<Token & { token: string }>('/api/v1/tokens', {
        method: 'POST',
        body: { name, ...(days ? { expiresInDays: Number(days) } : {}) },
      }),
    onSuccess: (t) => {
      onCreated({ name: t.name, token: t.token });
      setName('');
      setDays('');
      void client.invalidateQueries({ queryKey: ['tokens'] });
    },
  });
  const problems = create.error instanceof ApiError ? (create.error.details?.problems ?? []) : [];
  const on = (field: string) => problems.find((p) => String(p.path) === field)?.message;
  return (
    <Form
      className="card row wrap align-end"
      aria-label="Create a token"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <TextField label="New token name" value={name} onChange={setName} error={on('name')} isRequired />
      <TextField
        label="Expires in days (optional)"
        value={days}
        onChange={setDays}
        error={on('expiresInDays')}
        type="number"
      />
      <Button type="submit" variant="primary" isDisabled={create.isPending || !name.trim()}>
        Create token
      </Button>
      {create.isError && problems.length === 0 && <ErrorBox error={create.error} />}
    </Form>
  );
}

function TokenList({
  title,
  all,
  onSecret,
}: {
  title: string;
  all: boolean;
  onSecret: (s: { name: string; token: string }) => void;
}) {
  const client = useQueryClient();
  const me = useMe();
  const tokens = useQuery({
    queryKey: ['tokens', all],
    queryFn: () => api<{ data: Token[] }>(`/api/v1/tokens${all ? '?all=true' : ''}`),
  });
  const members = useQuery({
    queryKey: ['members'],
    queryFn: () => api<{ data: Member[] }>('/api/v1/members'),
    enabled: all,
  });
  const [grace, setGrace] = useState<string>('0');
  const done = () => void client.invalidateQueries({ queryKey: ['tokens'] });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api/v1/tokens/${id}`, { method: 'DELETE' }),
    onSuccess: done,
  });
  const rotate = useMutation({
    mutationFn: (id: string) =>
      api<Token & { token: string }>(`/api/v1/tokens/${id}/rotate`, {
        method: 'POST',
        body: { graceSeconds: Number(grace) },
      }),
    onSuccess: (t) => {
      onSecret({ name: t.name, token: t.token });
      done();
    },
  });
  const emailOf = (userId: string) => members.data?.data.find((m) => m.userId === userId)?.email ?? userId;

  return (
    <section className="card" aria-labelledby={`tokens-${all}`}>
      <h2 id={`tokens-${all}`}>{title}</h2>
      {!all && (
        <Select
          label="When rotating"
          value={grace as (typeof GRACE)[number]['id']}
          options={GRACE}
          onChange={setGrace}
        />
      )}
      {(revoke.isError || rotate.isError) && <ErrorBox error={revoke.error ?? rotate.error} />}
      <QueryRows query={tokens} what="tokens" empty={<>No tokens yet.</>}>
        {(rows) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                {all && <th scope="col">Owner</th>}
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  {all && <td>{emailOf(t.userId)}</td>}
                  <td>{when(t.createdAt)}</td>
                  <td>{when(t.lastUsedAt)}</td>
                  <td>{t.expiresAt ? when(t.expiresAt) : 'never'}</td>
                  <td>{status(t)}</td>
                  <td className="actions">
                    {!t.revokedAt && (
                      <>
                        {t.userId === me.data?.user.id && !all && (
                          <Button onPress={() => rotate.mutate(t.id)} aria-label={`Rotate ${t.name}`}>
                            Rotate
                          </Button>
                        )}
                        <Confirm
                          trigger="Revoke"
                          triggerLabel={`Revoke ${t.name}`}
                          title={`Revoke “${t.name}”?`}
                          body="Tools using this token stop working at once. This cannot be undone."
                          confirm="Revoke token"
                          onConfirm={() => revoke.mutate(t.id)}
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryRows>
    </section>
  );
}

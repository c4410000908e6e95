// The platform admin's screen: organisations (list, create, suspend/activate), an org's first
// SSO connection and its pending owners (granted by email, claimed at first sign-in).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api } from '../api/client';
import type { Org, PendingOwner } from '../api/types';
import { Button, Confirm, ErrorBox, Page, QueryRows, TextField, when } from '../components/ui';
import { Sso } from './Sso';

export function Platform() {
  const client = useQueryClient();
  const orgs = useQuery({ queryKey: ['orgs'], queryFn: () => api<{ data: Org[] }>('/api/v1/orgs') });
  const [open, setOpen] = useState<string>();
  const refresh = () => void client.invalidateQueries({ queryKey: ['orgs'] });
  const status = useMutation({
    mutationFn: (v: { id: string; to: 'suspend' | 'activate' }) =>
      api(`/api/v1/orgs/${v.id}/${v.to}`, { method: 'POST' }),
    onSuccess: refresh,
  });
  const selected = orgs.data?.data.find((o) => o.id === open);
  return (
    <Page title="Platform">
      <CreateOrg onDone={refresh} />
      {status.isError && <ErrorBox error={status.error} />}
      <QueryRows query={orgs} what="organisations" empty={<>No organisations yet.</>}>
        {(rows) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Slug</th>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((o) => (
                <tr key={o.id}>
                  <td>
                    <code>{o.slug}</code>
                  </td>
                  <td>{o.name}</td>
                  <td>{o.status}</td>
                  <td>{when(o.createdAt)}</td>
                  <td className="actions">
                    <Button
                      onPress={() => setOpen(open === o.id ? undefined : o.id)}
                      aria-expanded={open === o.id}
                    >
                      {open === o.id ? 'Close' : 'Set up'}
                    </Button>
                    {o.status === 'active' ? (
                      <Confirm
                        trigger="Suspend"
                        triggerLabel={`Suspend ${o.slug}`}
                        title={`Suspend ${o.slug}?`}
                        body="Nobody in it can sign in or call models until it is activated again."
                        confirm="Suspend"
                        onConfirm={() => status.mutate({ id: o.id, to: 'suspend' })}
                      />
                    ) : (
                      <Button onPress={() => status.mutate({ id: o.id, to: 'activate' })}>Activate</Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryRows>
      {selected && (
        <section aria-labelledby="org-setup">
          <h2 id="org-setup">Set up {selected.slug}</h2>
          <PendingOwners org={selected} />
          <Sso orgId={selected.id} orgSlug={selected.slug} />
        </section>
      )}
    </Page>
  );
}

function CreateOrg({ onDone }: { onDone: () => void }) {
  const [slug, setSlug] = useState('');
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => api<Org>('/api/v1/orgs', { method: 'POST', body: { slug, name } }),
    onSuccess: () => {
      setSlug('');
      setName('');
      onDone();
    },
  });
  return (
    <Form
      className="card row wrap align-end"
      aria-label="Create an organisation"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <TextField label="New organisation slug" value={slug} onChange={setSlug} />
      <TextField label="Name" value={name} onChange={setName} />
      <Button type="submit" variant="primary" isDisabled={!slug || !name || create.isPending}>
        Create organisation
      </Button>
      {create.isError && <ErrorBox error={create.error} />}
    </Form>
  );
}

function PendingOwners({ org }: { org: Org }) {
  const client = useQueryClient();
  const key = ['pending-owners', org.id];
  const grants = useQuery({
    queryKey: key,
    queryFn: () => api<{ data: PendingOwner[] }>(`/api/v1/orgs/${org.id}/pending-owners`),
  });
  const [email, setEmail] = useState('');
  const refresh = () => void client.invalidateQueries({ queryKey: key });
  const add = useMutation({
    mutationFn: () => api(`/api/v1/orgs/${org.id}/pending-owners`, { method: 'POST', body: { email } }),
    onSuccess: () => {
      setEmail('');
      refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api/v1/orgs/${org.id}/pending-owners/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  return (
    <section className="card" aria-labelledby="pending">
      <h3 id="pending">Pending owners</h3>
      <p className="muted small">Whoever signs in first through SSO with this email becomes owner.</p>
      <Form
        className="row wrap align-end"
        aria-label="Grant ownership"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate();
        }}
      >
        <TextField label="Owner email" type="email" value={email} onChange={setEmail} />
        <Button type="submit" variant="primary" isDisabled={!email || add.isPending}>
          Grant ownership
        </Button>
      </Form>
      {(add.isError || revoke.isError) && <ErrorBox error={add.error ?? revoke.error} />}
      <QueryRows query={grants} what="pending owners" empty={<>No pending owners.</>}>
        {(rows) => (
          <ul>
            {rows.map((g) => (
              <li key={g.id}>
                {g.email}, until {when(g.expiresAt)}{' '}
                <Button onPress={() => revoke.mutate(g.id)} aria-label={`Revoke grant for ${g.email}`}>
                  Revoke
                </Button>
              </li>
            ))}
          </ul>
        )}
      </QueryRows>
    </section>
  );
}

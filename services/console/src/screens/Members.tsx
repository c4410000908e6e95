// Members and roles. The API enforces the rules (no self-change, the last owner stays, admins
// manage members and viewers only); a refusal is explained next to the member it concerns.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api, ApiError } from '../api/client';
import { useMe } from '../api/hooks';
import { ROLES, type Member, type Role } from '../api/types';
import {
  Button,
  Confirm,
  ErrorBox,
  explain,
  Page,
  Select,
  TextField,
  when,
  QueryRows,
} from '../components/ui';

const roleOptions = ROLES.map((r) => ({ id: r, label: r }));

export function Members() {
  const me = useMe();
  const client = useQueryClient();
  const members = useQuery({
    queryKey: ['members'],
    queryFn: () => api<{ data: Member[] }>('/api/v1/members'),
  });
  const [refusal, setRefusal] = useState<{ userId: string; error: unknown }>();
  const done = () => {
    setRefusal(undefined);
    void client.invalidateQueries({ queryKey: ['members'] });
  };
  const change = useMutation({
    mutationFn: (v: { userId: string; role: Role }) =>
      api<Member>(`/api/v1/members/${v.userId}`, { method: 'PATCH', body: { role: v.role } }),
    onSuccess: done,
    onError: (error, v) => setRefusal({ userId: v.userId, error }),
  });
  const remove = useMutation({
    mutationFn: (userId: string) => api(`/api/v1/members/${userId}`, { method: 'DELETE' }),
    onSuccess: done,
    onError: (error, userId) => setRefusal({ userId, error }),
  });

  return (
    <Page title="Members">
      <AddMember />
      <p className="muted small">
        Rules the server enforces: nobody changes their own role or removes themselves; the last owner cannot
        be demoted or removed; admins manage members and viewers, owners manage everyone. People signing in
        through SSO get their role from the connection’s group mapping. Pending owners of a new organisation
        are granted by the platform admin.
      </p>
      <QueryRows query={members} what="members" empty={<>No members yet.</>}>
        {(rows) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Role</th>
                <th scope="col">Since</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => {
                const self = m.userId === me.data?.user.id;
                return (
                  <tr key={m.userId}>
                    <td>
                      {m.name ? `${m.name} · ` : ''}
                      {m.email}
                      {self ? ' (you)' : ''}
                      {refusal?.userId === m.userId && (
                        <p className="inline-error" role="alert">
                          {explain(refusal.error)}
                          {refusal.error instanceof ApiError ? ` (${refusal.error.code})` : ''}
                        </p>
                      )}
                    </td>
                    <td>
                      <Select
                        label={`Role of ${m.email}`}
                        value={m.role}
                        options={roleOptions}
                        onChange={(role) => role !== m.role && change.mutate({ userId: m.userId, role })}
                      />
                    </td>
                    <td>{when(m.createdAt)}</td>
                    <td className="actions">
                      <Confirm
                        trigger="Remove"
                        triggerLabel={`Remove ${m.email}`}
                        title={`Remove ${m.email}?`}
                        body="They lose access to this organisation and their tokens stop working."
                        confirm="Remove member"
                        onConfirm={() => remove.mutate(m.userId)}
                      />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </QueryRows>
    </Page>
  );
}

function AddMember() {
  const client = useQueryClient();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('member');
  const add = useMutation({
    mutationFn: () => api<Member>('/api/v1/members', { method: 'POST', body: { email, role } }),
    onSuccess: () => {
      setEmail('');
      void client.invalidateQueries({ queryKey: ['members'] });
    },
  });
  return (
    <Form
      className="card row wrap align-end"
      aria-label="Add a member"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate();
      }}
    >
      <TextField label="Add by email (an existing user)" type="email" value={email} onChange={setEmail} />
      <Select label="Role for the new member" value={role} options={roleOptions} onChange={setRole} />
      <Button type="submit" variant="primary" isDisabled={!email || add.isPending}>
        Add member
      </Button>
      {add.isError && <ErrorBox error={add.error} />}
    </Form>
  );
}

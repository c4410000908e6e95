// SSO connections and SCIM tokens. Owners set them up (admins read); the URLs to give the IdP
// are shown for this install. Secrets go in, never come back.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api, ApiError } from '../api/client';
import { can, useMe } from '../api/hooks';
import { ROLES, type Role, type ScimToken, type SsoConnection } from '../api/types';
import {
  Button,
  Confirm,
  CopyButton,
  ErrorBox,
  Loading,
  Page,
  Select,
  TextField,
  when,
  QueryRows,
} from '../components/ui';

const roleOptions = ROLES.map((r) => ({ id: r, label: r }));

/** "group = role" lines -> a map; unknown roles are sent as typed for the API to name. */
function groupMap(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [g, ...r] = line.split('=');
    if (g?.trim() && r.length) out[g.trim()] = r.join('=').trim();
  }
  return out;
}

export function Sso({ orgId, orgSlug }: { orgId?: string; orgSlug?: string } = {}) {
  const me = useMe();
  const rights = can(me.data);
  const manage = orgId ? rights.platform : rights.manageSso;
  const slug = orgSlug ?? me.data?.org?.slug ?? '';
  const base = orgId ? `/api/v1/sso/orgs/${orgId}/connections` : '/api/v1/sso/connections';
  const client = useQueryClient();
  const connections = useQuery({
    queryKey: ['sso', base],
    queryFn: () => api<{ data: SsoConnection[] }>(base),
  });
  const refresh = () => void client.invalidateQueries({ queryKey: ['sso', base] });
  const toggle = useMutation({
    mutationFn: (c: SsoConnection) =>
      api(`${base}/${c.id}`, { method: 'PATCH', body: { enabled: !c.enabled } }),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`${base}/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  // A test sign-in is a round trip through the IdP that signs nobody in: the browser comes
  // back here with ?tested=<id>, and the result (claims, groups, mapped role) is read once.
  const returnTo = orgId ? '/console/platform' : '/console/sso';
  const test = useMutation({
    mutationFn: (id: string) =>
      api<{ url: string }>(`${base}/${id}/test`, {
        method: 'POST',
        body: { returnTo: `${returnTo}?tested=${id}` },
      }),
    onSuccess: ({ url }) => window.location.assign(url),
  });
  const tested = new URLSearchParams(window.location.search).get('tested');
  const origin = window.location.origin;
  const urls = [
    { label: 'OIDC redirect URI', value: `${origin}/auth/oidc/callback` },
    { label: 'SAML ACS URL', value: `${origin}/auth/saml/${slug}/acs` },
    { label: 'SAML SP metadata', value: `${origin}/auth/saml/${slug}/metadata` },
    { label: 'SAML SP entity ID', value: `${origin}/auth/saml/${slug}/metadata` },
    { label: 'Sign-in link for people', value: `${origin}/auth/login?org=${slug}` },
  ];

  const body = (
    <>
      <section className="card" aria-labelledby="sp-urls">
        <h2 id="sp-urls">Give these to your identity provider</h2>
        <dl className="kv">
          {urls.map((u) => (
            <div key={u.label}>
              <dt>{u.label}</dt>
              <dd>
                <code>{u.value}</code> <CopyButton text={u.value} label={`Copy ${u.label}`} />
              </dd>
            </div>
          ))}
        </dl>
      </section>
      {tested && /^[0-9a-f-]{36}$/.test(tested) && <TestResult url={`${base}/${tested}/test-result`} />}
      <section className="card" aria-labelledby="conns">
        <h2 id="conns">Connections</h2>
        {(toggle.isError || remove.isError || test.isError) && (
          <ErrorBox error={toggle.error ?? remove.error ?? test.error} />
        )}
        <QueryRows
          query={connections}
          what="connections"
          empty={<>No connection yet: nobody can sign in to this organisation through SSO.</>}
        >
          {(rows) => (
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Protocol</th>
                  <th scope="col">Issuer / IdP</th>
                  <th scope="col">Groups → roles</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((c) => (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>{c.protocol.toUpperCase()}</td>
                    <td className="details">
                      <code>{String(c.config.issuer ?? c.config.idpEntityId ?? '')}</code>
                    </td>
                    <td>
                      {Object.entries(c.groupRoleMap)
                        .map(([g, r]) => `${g} → ${r}`)
                        .join(', ') || '—'}
                      ; default {c.defaultRole}
                    </td>
                    <td>{c.enabled ? 'enabled' : 'disabled'}</td>
                    <td className="actions">
                      <Button onPress={() => test.mutate(c.id)} aria-label={`Test sign-in with ${c.name}`}>
                        Test sign-in
                      </Button>
                      {manage && (
                        <>
                          <Button onPress={() => toggle.mutate(c)}>{c.enabled ? 'Disable' : 'Enable'}</Button>
                          <Confirm
                            trigger="Delete"
                            triggerLabel={`Delete ${c.name}`}
                            title={`Delete “${c.name}”?`}
                            body="People who sign in through it can no longer do so."
                            confirm="Delete connection"
                            onConfirm={() => remove.mutate(c.id)}
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
      {manage && <Wizard base={base} onDone={refresh} />}
      {!orgId && <ScimTokens manage={manage} />}
    </>
  );
  return orgId ? body : <Page title="SSO and SCIM">{body}</Page>;
}

interface TestOutcome {
  protocol: string;
  testedAt: string;
  outcome: 'success' | 'failure';
  subject: string | null;
  email: string | null;
  name: string | null;
  claims: Record<string, unknown>;
  groups: string[];
  role: Role | null;
  reason: string | null;
  message: string | null;
}

function TestResult({ url }: { url: string }) {
  // The result is kept once for a few minutes: read it when the browser is back (404 until then).
  const result = useQuery({
    queryKey: ['sso-test', url],
    queryFn: () => api<TestOutcome>(url),
    retry: (count, e) => count < 5 && e instanceof ApiError && e.status === 404,
    retryDelay: 1000,
    staleTime: Infinity,
  });
  return (
    <section className="card" aria-labelledby="test-result" aria-live="polite">
      <h2 id="test-result">Test sign-in result</h2>
      {result.isPending ? (
        <Loading what="the test result" />
      ) : result.isError ? (
        <ErrorBox error={result.error} />
      ) : (
        <>
          <p className={result.data.outcome === 'success' ? 'ok' : 'bad'}>
            {result.data.outcome === 'success'
              ? `Success: ${result.data.email ?? result.data.subject} would sign in as ${result.data.role ?? 'no role'}.`
              : `Failed (${result.data.reason ?? 'unknown'}): ${result.data.message ?? ''}`}
          </p>
          <dl className="kv">
            <div>
              <dt>Subject</dt>
              <dd>{result.data.subject ?? '—'}</dd>
            </div>
            <div>
              <dt>Email / name</dt>
              <dd>
                {result.data.email ?? '—'} / {result.data.name ?? '—'}
              </dd>
            </div>
            <div>
              <dt>Groups</dt>
              <dd>{result.data.groups.join(', ') || '—'}</dd>
            </div>
            <div>
              <dt>Mapped role</dt>
              <dd>{result.data.role ?? '—'}</dd>
            </div>
            {Object.entries(result.data.claims).map(([k, v]) => (
              <div key={k}>
                <dt>
                  claim <code>{k}</code>
                </dt>
                <dd>
                  <code>{JSON.stringify(v)}</code>
                </dd>
              </div>
            ))}
          </dl>
        </>
      )}
    </section>
  );
}

function Wizard({ base, onDone }: { base: string; onDone: () => void }) {
  const [protocol, setProtocol] = useState<'oidc' | 'saml'>('oidc');
  const [name, setName] = useState('');
  const [issuer, setIssuer] = useState('');
  const [clientId, setClientId] = useState('');
  const [clientSecret, setClientSecret] = useState('');
  const [groupsClaim, setGroupsClaim] = useState('groups');
  const [metadataUrl, setMetadataUrl] = useState('');
  const [metadataXml, setMetadataXml] = useState('');
  const [groups, setGroups] = useState('');
  const [defaultRole, setDefaultRole] = useState<Role>('member');
  const create = useMutation({
    mutationFn: () =>
      api<SsoConnection>(base, {
        method: 'POST',
        body:
          protocol === 'oidc'
            ? {
                protocol,
                name,
                config: { issuer, clientId, groupsClaim, scopes: ['openid', 'email', 'profile', 'groups'] },
                ...(clientSecret ? { clientSecret } : {}),
                groupRoleMap: groupMap(groups),
                defaultRole,
              }
            : {
                protocol,
                name,
                config: metadataXml.trim() ? { metadataXml } : { metadataUrl },
                groupRoleMap: groupMap(groups),
                defaultRole,
              },
      }),
    onSuccess: () => {
      setName('');
      setClientSecret('');
      onDone();
    },
  });
  const problems = create.error instanceof ApiError ? (create.error.details?.problems ?? []) : [];
  const on = (...path: string[]) =>
    problems
      .filter((p) => (Array.isArray(p.path) ? p.path.join('.') : String(p.path)).startsWith(path.join('.')))
      .map((p) => p.message)
      .join('; ') || undefined;
  return (
    <Form
      className="card"
      aria-label="Add a connection"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate();
      }}
    >
      <h2>Add a connection</h2>
      <div className="row wrap align-end">
        <Select
          label="Protocol"
          value={protocol}
          onChange={setProtocol}
          options={[
            { id: 'oidc', label: 'OpenID Connect (issuer)' },
            { id: 'saml', label: 'SAML 2.0 (metadata)' },
          ]}
        />
        <TextField label="Connection name" value={name} onChange={setName} error={on('name')} isRequired />
      </div>
      {protocol === 'oidc' ? (
        <div className="row wrap align-end">
          <TextField
            label="Issuer URL"
            value={issuer}
            onChange={setIssuer}
            error={on('config', 'issuer')}
            type="url"
          />
          <TextField
            label="Client ID"
            value={clientId}
            onChange={setClientId}
            error={on('config', 'clientId')}
          />
          <TextField
            label="Client secret (write-only)"
            type="password"
            value={clientSecret}
            onChange={setClientSecret}
            error={on('clientSecret')}
            autoComplete="off"
          />
          <TextField
            label="Groups claim"
            value={groupsClaim}
            onChange={setGroupsClaim}
            error={on('config', 'groupsClaim')}
          />
        </div>
      ) : (
        <>
          <TextField
            label="IdP metadata URL"
            value={metadataUrl}
            onChange={setMetadataUrl}
            error={on('config')}
            type="url"
          />
          <TextField
            label="…or paste the IdP metadata XML"
            value={metadataXml}
            onChange={setMetadataXml}
            multiline
          />
        </>
      )}
      <div className="row wrap align-end">
        <TextField
          label="Group → role mapping"
          value={groups}
          onChange={setGroups}
          multiline
          description="One a line: group-name = owner|admin|member|viewer"
          error={on('groupRoleMap')}
        />
        <Select label="Default role" value={defaultRole} onChange={setDefaultRole} options={roleOptions} />
      </div>
      {create.isError && problems.length === 0 && <ErrorBox error={create.error} />}
      <Button type="submit" variant="primary" isDisabled={create.isPending || !name}>
        Add connection
      </Button>
    </Form>
  );
}

function ScimTokens({ manage }: { manage: boolean }) {
  const client = useQueryClient();
  const tokens = useQuery({
    queryKey: ['scim-tokens'],
    queryFn: () => api<{ data: ScimToken[] }>('/api/v1/sso/scim-tokens'),
  });
  const [secret, setSecret] = useState<string>();
  const refresh = () => void client.invalidateQueries({ queryKey: ['scim-tokens'] });
  const create = useMutation({
    mutationFn: () => api<ScimToken & { token: string }>('/api/v1/sso/scim-tokens', { method: 'POST' }),
    onSuccess: (t) => {
      setSecret(t.token);
      refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/api/v1/sso/scim-tokens/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const scimUrl = `${window.location.origin}/scim/v2`;
  return (
    <section className="card" aria-labelledby="scim">
      <h2 id="scim">SCIM provisioning</h2>
      <p>
        SCIM base URL <code>{scimUrl}</code> <CopyButton text={scimUrl} label="Copy SCIM URL" />
      </p>
      {secret && (
        <div className="callout" role="status">
          <p>Copy the SCIM token now: it is shown only once.</p>
          <code className="secret">{secret}</code> <CopyButton text={secret} label="Copy SCIM token" />
        </div>
      )}
      {(create.isError || revoke.isError) && <ErrorBox error={create.error ?? revoke.error} />}
      {manage && (
        <Button variant="primary" onPress={() => create.mutate()} isDisabled={create.isPending}>
          Create SCIM token
        </Button>
      )}
      <QueryRows query={tokens} what="SCIM tokens" empty={<>No SCIM tokens.</>}>
        {(rows) => (
          <table>
            <thead>
              <tr>
                <th scope="col">Prefix</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((t) => (
                <tr key={t.id}>
                  <td>
                    <code>{t.prefix}…</code>
                  </td>
                  <td>{when(t.createdAt)}</td>
                  <td>{t.revokedAt ? `revoked ${when(t.revokedAt)}` : 'active'}</td>
                  <td className="actions">
                    {manage && !t.revokedAt && (
                      <Confirm
                        trigger="Revoke"
                        triggerLabel={`Revoke SCIM token ${t.prefix}`}
                        title="Revoke this SCIM token?"
                        body="Your IdP can no longer provision or deprovision users with it."
                        confirm="Revoke token"
                        onConfirm={() => revoke.mutate(t.id)}
                      />
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

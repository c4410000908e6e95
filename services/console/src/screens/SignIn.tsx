// Sign-in: an org's SSO (the server shows its chooser when the org has several connections),
// or the platform's break-glass account with its TOTP code.
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form } from 'react-aria-components';
import { api } from '../api/client';
import { Button, ErrorBox, TextField } from '../components/ui';

interface LocalAnswer {
  status: 'signed_in' | 'mfa_enrollment_required';
  enrollmentToken?: string;
  secret?: string;
  otpauthUrl?: string;
}

const LAST_ORG = 'airlock.lastOrg';

export function SignIn() {
  const params = new URLSearchParams(window.location.search);
  const [org, setOrg] = useState(params.get('org') ?? localStorage.getItem(LAST_ORG) ?? '');
  const [orgError, setOrgError] = useState<string>();
  const [breakGlass, setBreakGlass] = useState(false);
  const returnTo = window.location.pathname.startsWith('/console/')
    ? window.location.pathname
    : '/console/overview';

  return (
    <main className="signin" id="main">
      <h1 id="page-title" tabIndex={-1}>
        Sign in to Airlock
      </h1>
      <Form
        className="card"
        aria-label="Sign in with your organisation"
        onSubmit={(e) => {
          e.preventDefault();
          const slug = org.trim().toLowerCase();
          if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) {
            setOrgError('Lower-case letters, digits and dashes, as your admin gave it (for example "acme").');
            return;
          }
          localStorage.setItem(LAST_ORG, slug);
          // A top-level navigation: the server redirects to the IdP (or its chooser) and back.
          window.location.assign(`/auth/login?${new URLSearchParams({ org: slug, returnTo })}`);
        }}
      >
        <TextField
          label="Organisation"
          name="org"
          value={org}
          onChange={(v) => {
            setOrg(v);
            setOrgError(undefined);
          }}
          error={orgError}
          description="Your organisation's short name. You continue at its single sign-on."
          autoComplete="organization"
        />
        <Button type="submit" variant="primary">
          Continue with SSO
        </Button>
      </Form>
      {breakGlass ? (
        <BreakGlass />
      ) : (
        <Button variant="link" onPress={() => setBreakGlass(true)}>
          Platform administrator (break-glass) sign-in
        </Button>
      )}
    </main>
  );
}

function BreakGlass() {
  const client = useQueryClient();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [totp, setTotp] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [enrol, setEnrol] = useState<LocalAnswer>();

  async function submit() {
    setBusy(true);
    setError(undefined);
    try {
      const answer = enrol
        ? await api<LocalAnswer>('/auth/local/mfa/enroll', {
            method: 'POST',
            body: { enrollmentToken: enrol.enrollmentToken, totp },
          })
        : await api<LocalAnswer>('/auth/local/login', {
            method: 'POST',
            body: { username, password, ...(totp ? { totp } : {}) },
          });
      if (answer.status === 'mfa_enrollment_required') {
        setEnrol(answer);
        setTotp('');
      } else {
        await client.invalidateQueries({ queryKey: ['me'] });
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Form
      className="card"
      aria-label="Break-glass sign-in"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <h2>Break-glass sign-in</h2>
      {enrol ? (
        <>
          <p>
            First sign-in: add this secret to your authenticator app, then enter the 6-digit code it shows.
          </p>
          <p>
            Secret: <code data-testid="totp-secret">{enrol.secret}</code>
          </p>
          <p className="small muted break">{enrol.otpauthUrl}</p>
        </>
      ) : (
        <>
          <TextField label="Username" value={username} onChange={setUsername} autoComplete="username" />
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
          />
        </>
      )}
      <TextField
        label="Authenticator code (TOTP)"
        value={totp}
        onChange={setTotp}
        autoComplete="one-time-code"
        description="6 digits"
      />
      {error !== undefined && <ErrorBox error={error} />}
      <Button type="submit" variant="primary" isDisabled={busy}>
        {enrol ? 'Confirm code' : 'Sign in'}
      </Button>
    </Form>
  );
}

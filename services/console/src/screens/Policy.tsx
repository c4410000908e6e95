// The org policy: a structured editor for every field of the document, validation problems
// on the field they name, If-Match conflicts explained, and the version history with a diff
// between any two versions and rollback.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Form, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { ApiError, send } from '../api/client';
import { can, useMe } from '../api/hooks';
import { ROLES, type PolicyDoc, type PolicyView, type Upstream } from '../api/types';
import { Button, ErrorBox, Loading, Page, TextField } from '../components/ui';
import { Problems, setIn, type Path } from './policy/draft';
import { AliasesAt, BoolAt, ChoiceAt, ListAt, NumberAt, TextAt, type Bind } from './policy/fields';
import { History } from './policy/History';

const DETECTORS = ['secrets', 'emails', 'phones', 'cards', 'iban', 'ssn'] as const;
const PROVIDERS = ['openai-compatible', 'vllm', 'ollama', 'tgi', 'llamacpp', 'openai'] as const;

export function Policy() {
  const current = useQuery({
    queryKey: ['policy'],
    queryFn: async () => (await send<PolicyView>('/api/v1/policy')).body,
  });
  const [saved, setSaved] = useState<number>();
  return (
    <Page title="Policy">
      {saved !== undefined && (
        <p className="callout" role="status">
          Saved as version {saved}.
        </p>
      )}
      {current.isPending ? (
        <Loading what="the policy" />
      ) : current.isError ? (
        <ErrorBox error={current.error} retry={() => void current.refetch()} />
      ) : (
        <Tabs className="tabs">
          <TabList aria-label="Policy" className="tablist">
            <Tab id="edit" className="tab">
              Edit
            </Tab>
            <Tab id="history" className="tab">
              Versions
            </Tab>
          </TabList>
          <TabPanel id="edit" className="tabpanel">
            {/* A new base version remounts the editor with that version's document. */}
            <Editor key={current.data.version} view={current.data} onSaved={setSaved} />
          </TabPanel>
          <TabPanel id="history" className="tabpanel">
            <History currentVersion={current.data.version} />
          </TabPanel>
        </Tabs>
      )}
    </Page>
  );
}

function Editor({ view, onSaved }: { view: PolicyView; onSaved: (v: number | undefined) => void }) {
  const me = useMe();
  const readOnly = !can(me.data).editPolicy;
  const client = useQueryClient();
  const [doc, setDoc] = useState<PolicyDoc>(view.policy);
  const [base, setBase] = useState(view.version);
  const [comment, setComment] = useState('');
  const save = useMutation({
    mutationFn: async (ifMatch: number) =>
      (
        await send<PolicyView>('/api/v1/policy', {
          method: 'PUT',
          headers: { 'if-match': `"${ifMatch}"` },
          body: { policy: doc, ...(comment.trim() ? { comment: comment.trim() } : {}) },
        })
      ).body,
    onSuccess: (v) => {
      onSaved(v.version);
      setBase(v.version);
      void client.invalidateQueries({ queryKey: ['policy'] });
      void client.invalidateQueries({ queryKey: ['policy-versions'] });
      void client.invalidateQueries({ queryKey: ['explain'] });
    },
  });
  const error = save.error instanceof ApiError ? save.error : undefined;
  const problems = new Problems(error?.code === 'validation_failed' ? (error.details?.problems ?? []) : []);
  const conflict =
    error?.code === 'policy_version_conflict' && typeof error.details?.currentVersion === 'number'
      ? error.details.currentVersion
      : undefined;
  const b: Bind = {
    doc,
    set: (path: Path, value: unknown) => setDoc((d) => setIn(d, path, value)),
    problems,
    readOnly,
  };

  return (
    <Form
      className="policy"
      aria-label="Policy editor"
      onSubmit={(e) => {
        e.preventDefault();
        onSaved(undefined);
        save.mutate(base);
      }}
    >
      <p className="muted">
        Editing version {base}
        {view.createdAt ? `, saved ${new Date(view.createdAt).toLocaleString()}` : ''}.
      </p>
      {conflict !== undefined && (
        <div className="callout warn" role="alert">
          <p>
            <strong>Someone saved version {conflict} while you edited.</strong> Your changes are still here
            and were not saved.
          </p>
          <div className="row">
            <Button
              onPress={() => {
                save.reset();
                void client.invalidateQueries({ queryKey: ['policy'] });
              }}
            >
              Discard mine and load version {conflict}
            </Button>
            <Button variant="danger" onPress={() => save.mutate(conflict)}>
              Save mine over version {conflict}
            </Button>
          </div>
        </div>
      )}
      {problems.list.length > 0 && (
        <div className="callout warn" role="alert">
          <p>
            <strong>The policy is invalid; nothing was changed.</strong> Fix the fields marked below:
          </p>
          <ul>
            {problems.list.map((p) => (
              <li key={p.path + p.message}>
                <code>{p.path}</code>: {p.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {error && conflict === undefined && problems.list.length === 0 && <ErrorBox error={error} />}

      <fieldset>
        <legend>Privacy and models</legend>
        <ChoiceAt
          b={b}
          path={['privacyMode']}
          label="Privacy mode"
          options={[
            { id: 'normal', label: 'normal: on-prem and cloud upstreams' },
            { id: 'sensitive', label: 'sensitive: cloud only with redaction' },
            { id: 'offline', label: 'offline: on-prem only' },
          ]}
        />
        <TextAt
          b={b}
          path={['models', 'default']}
          label="Default model"
          description="Used when a request names none"
        />
        <div className="grid4">
          {ROLES.map((r) => (
            <ListAt
              key={r}
              b={b}
              path={['models', 'allow', r]}
              label={`Models ${r}s may use`}
              description={
                r === 'viewer' ? 'Viewers use no models' : 'Names or globs (llama-3.*), one a line'
              }
            />
          ))}
        </div>
        <ListAt b={b} path={['platformUpstreams']} label="Platform upstreams this org may use" />
      </fieldset>

      <fieldset>
        <legend>Upstreams</legend>
        {doc.upstreams.map((u, i) => (
          <UpstreamEditor
            key={i}
            b={b}
            u={u}
            i={i}
            onRemove={() => setDoc((d) => ({ ...d, upstreams: d.upstreams.filter((_, j) => j !== i) }))}
          />
        ))}
        {!readOnly && (
          <Button
            onPress={() =>
              setDoc((d) => ({
                ...d,
                upstreams: [
                  ...d.upstreams,
                  {
                    name: '',
                    baseUrl: '',
                    kind: 'onprem',
                    provider: 'openai-compatible',
                    timeoutMs: 60000,
                    connectTimeoutMs: 5000,
                    models: ['*'],
                    aliases: {},
                  },
                ],
              }))
            }
          >
            Add upstream
          </Button>
        )}
      </fieldset>

      <fieldset>
        <legend>Limits and quotas</legend>
        <table className="limits">
          <thead>
            <tr>
              <th scope="col">Applies to</th>
              <th scope="col">Requests / minute</th>
              <th scope="col">Tokens / minute</th>
            </tr>
          </thead>
          <tbody>
            {[
              ...ROLES.map((r) => ({ label: `each ${r}`, path: ['limits', 'perRole', r] as Path })),
              { label: 'each user', path: ['limits', 'perUser'] as Path },
              { label: 'the whole org', path: ['limits', 'perOrg'] as Path },
            ].map((row) => (
              <tr key={row.path.join('.')}>
                <th scope="row">{row.label}</th>
                <td>
                  <NumberAt
                    b={b}
                    path={[...row.path, 'requestsPerMinute']}
                    label={`Requests per minute, ${row.label}`}
                  />
                </td>
                <td>
                  <NumberAt
                    b={b}
                    path={[...row.path, 'tokensPerMinute']}
                    label={`Tokens per minute, ${row.label}`}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="grid4">
          <NumberAt
            b={b}
            path={['limits', 'monthlyQuota', 'perUser', 'requests']}
            label="Monthly requests per user"
          />
          <NumberAt
            b={b}
            path={['limits', 'monthlyQuota', 'perUser', 'tokens']}
            label="Monthly tokens per user"
          />
          <NumberAt
            b={b}
            path={['limits', 'monthlyQuota', 'perOrg', 'requests']}
            label="Monthly requests, whole org"
          />
          <NumberAt
            b={b}
            path={['limits', 'monthlyQuota', 'perOrg', 'tokens']}
            label="Monthly tokens, whole org"
          />
        </div>
      </fieldset>

      <fieldset>
        <legend>Redaction</legend>
        <BoolAt b={b} path={['redaction', 'cloud']} label="Redact before cloud upstreams" />
        <BoolAt b={b} path={['redaction', 'onprem']} label="Redact before on-prem upstreams" />
        <div className="row wrap" role="group" aria-label="Detectors">
          {DETECTORS.map((d) => (
            <BoolDetector key={d} b={b} detector={d} doc={doc} />
          ))}
        </div>
        {doc.redaction.customPatterns.map((p, i) => (
          <div className="row wrap align-end" key={i}>
            <TextAt b={b} path={['redaction', 'customPatterns', i, 'name']} label={`Pattern ${i + 1} name`} />
            <TextAt
              b={b}
              path={['redaction', 'customPatterns', i, 'pattern']}
              label={`Pattern ${i + 1} (RE2)`}
            />
            {!readOnly && (
              <Button
                onPress={() =>
                  b.set(
                    ['redaction', 'customPatterns'],
                    doc.redaction.customPatterns.filter((_, j) => j !== i),
                  )
                }
                aria-label={`Remove pattern ${p.name || i + 1}`}
              >
                Remove
              </Button>
            )}
          </div>
        ))}
        {!readOnly && (
          <Button
            onPress={() =>
              b.set(
                ['redaction', 'customPatterns'],
                [...doc.redaction.customPatterns, { name: '', pattern: '' }],
              )
            }
          >
            Add custom pattern
          </Button>
        )}
      </fieldset>

      <fieldset>
        <legend>Admin access, sessions, cache and audit</legend>
        <ListAt
          b={b}
          path={['admin', 'ipAllowlist']}
          label="Admin IP allowlist"
          description="Addresses or CIDRs (10.0.0.0/8), one a line; empty means anywhere"
        />
        <div className="grid4">
          <NumberAt b={b} path={['sessions', 'idleMinutes']} label="Session idle minutes" />
          <NumberAt b={b} path={['sessions', 'absoluteHours']} label="Session absolute hours" />
          <NumberAt b={b} path={['audit', 'retentionDays']} label="Audit retention days" />
          <NumberAt b={b} path={['responseCache', 'ttlSeconds']} label="Response cache TTL seconds" />
        </div>
        <BoolAt b={b} path={['responseCache', 'enabled']} label="Response cache enabled" />
      </fieldset>

      {!readOnly && (
        <div className="row align-end sticky-save">
          <TextField label="Change comment (optional)" value={comment} onChange={setComment} />
          <Button type="submit" variant="primary" isDisabled={save.isPending}>
            Save policy
          </Button>
        </div>
      )}
    </Form>
  );
}

function BoolDetector({ b, detector, doc }: { b: Bind; detector: string; doc: PolicyDoc }) {
  const on = doc.redaction.detectors.includes(detector);
  return (
    <BoolLike
      label={`Detect ${detector}`}
      checked={on}
      readOnly={b.readOnly}
      onChange={(c) =>
        b.set(
          ['redaction', 'detectors'],
          c ? [...doc.redaction.detectors, detector] : doc.redaction.detectors.filter((d) => d !== detector),
        )
      }
    />
  );
}

function BoolLike(props: {
  label: string;
  checked: boolean;
  readOnly: boolean;
  onChange: (c: boolean) => void;
}) {
  const b: Bind = {
    doc: { v: props.checked },
    set: (_p, v) => props.onChange(v === true),
    problems: new Problems(),
    readOnly: props.readOnly,
  };
  return <BoolAt b={b} path={['v']} label={props.label} />;
}

function UpstreamEditor({ b, u, i, onRemove }: { b: Bind; u: Upstream; i: number; onRemove: () => void }) {
  const at = (...p: (string | number)[]): Path => ['upstreams', i, ...p];
  return (
    <div className="card upstream" role="group" aria-label={`Upstream ${u.name || i + 1}`}>
      <div className="row wrap align-end">
        <TextAt b={b} path={at('name')} label="Name" />
        <TextAt b={b} path={at('baseUrl')} label="Base URL" />
        <ChoiceAt
          b={b}
          path={at('kind')}
          label="Kind"
          options={[
            { id: 'onprem', label: 'on-prem' },
            { id: 'cloud', label: 'cloud' },
          ]}
        />
        <ChoiceAt
          b={b}
          path={at('provider')}
          label="Provider"
          options={PROVIDERS.map((p) => ({ id: p, label: p }))}
        />
      </div>
      <div className="row wrap align-end">
        <TextField
          label="API key (write-only)"
          type="password"
          value={u.apiKey ?? ''}
          onChange={(v) => b.set(at('apiKey'), v === '' ? undefined : v)}
          description={u.apiKeySet ? 'A key is stored. Leave empty to keep it.' : 'No key stored.'}
          error={b.problems.at(...at('apiKey'))}
          isReadOnly={b.readOnly}
          autoComplete="off"
        />
        {u.apiKeySet !== undefined && !b.readOnly && (
          <BoolLike
            label="Remove the stored key"
            checked={u.apiKeySet === false}
            readOnly={false}
            onChange={(c) => b.set(at('apiKeySet'), c ? false : true)}
          />
        )}
        <NumberAt b={b} path={at('timeoutMs')} label="Timeout ms" />
        <NumberAt b={b} path={at('connectTimeoutMs')} label="Connect timeout ms" />
      </div>
      <div className="grid2">
        <ListAt b={b} path={at('models')} label="Models it serves" description="Names or globs, one a line" />
        <AliasesAt b={b} path={at('aliases')} label="Aliases" />
      </div>
      {!b.readOnly && (
        <Button variant="danger" onPress={onRemove} aria-label={`Remove upstream ${u.name || i + 1}`}>
          Remove upstream
        </Button>
      )}
    </div>
  );
}

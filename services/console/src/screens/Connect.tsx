// Copy-paste set-up for common tools with this install's base URL and the caller's models.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
// The CLI's snippets are the settings the gateway's Claude Code, Codex and Continue tests run
// with: one source, so the console cannot drift from what is tested.
import { claudeCodeSnippet, codexConfig, continueConfig } from '../../../cli/src/snippets.js';
import { api } from '../api/client';
import { can, useMe } from '../api/hooks';
import { CopyButton, Empty, ErrorBox, Loading, Page, Select } from '../components/ui';

interface ModelList {
  data: { id: string }[];
}

const TOKEN = '<your Airlock token>';

function snippets(origin: string, model: string): { id: string; label: string; code: string }[] {
  return [
    {
      id: 'openai',
      label: 'OpenAI SDK',
      code: `# Python: pip install openai
from openai import OpenAI

client = OpenAI(base_url="${origin}/v1", api_key="${TOKEN}")
reply = client.chat.completions.create(
    model="${model}",
    messages=[{"role": "user", "content": "Hello"}],
)
print(reply.choices[0].message.content)

// Node: npm install openai
import OpenAI from 'openai';
const client = new OpenAI({ baseURL: '${origin}/v1', apiKey: process.env.AIRLOCK_TOKEN });
const reply = await client.chat.completions.create({ model: '${model}', messages: [{ role: 'user', content: 'Hello' }] });`,
    },
    {
      id: 'curl',
      label: 'curl',
      code: `curl ${origin}/v1/chat/completions \\
  -H "Authorization: Bearer $AIRLOCK_TOKEN" \\
  -H "Content-Type: application/json" \\
  -d '{"model":"${model}","messages":[{"role":"user","content":"Hello"}]}'`,
    },
    {
      id: 'continue',
      label: 'Continue',
      code: `# ~/.continue/config.yaml (then: export AIRLOCK_API_KEY=${TOKEN}, or "$(airlock token)" after npx airlock login)
${continueConfig(origin, model).trim()}`,
    },
    {
      id: 'claude',
      label: 'Claude Code',
      code: `# Easiest: sign in from the terminal (SSO in the browser, short-lived token, no copy-paste)
npx airlock login --url ${origin}

# It prints these settings; ${claudeCodeSnippet(origin).trim()}

# Or with a token from the Tokens screen instead of the helper:
export ANTHROPIC_BASE_URL=${origin}
export ANTHROPIC_AUTH_TOKEN=${TOKEN}
export ANTHROPIC_MODEL=${model}`,
    },
    {
      id: 'codex',
      label: 'Codex CLI',
      code: `# ~/.codex/config.toml (then: export AIRLOCK_API_KEY=${TOKEN}, or "$(airlock token)" after npx airlock login)
${codexConfig(origin, model)}`,
    },
  ];
}

export function Connect() {
  const me = useMe();
  const rights = can(me.data);
  const models = useQuery({
    queryKey: ['models'],
    queryFn: () => api<ModelList>('/v1/models'),
    enabled: rights.useModels,
  });
  const [picked, setPicked] = useState<string>();
  const origin = window.location.origin;

  if (!rights.useModels)
    return (
      <Page title="Connect a tool">
        <Empty>
          Viewers use no models, so there is nothing to connect. Ask an admin for the member role.
        </Empty>
      </Page>
    );
  if (models.isPending)
    return (
      <Page title="Connect a tool">
        <Loading what="your models" />
      </Page>
    );
  if (models.isError)
    return (
      <Page title="Connect a tool">
        <ErrorBox error={models.error} retry={() => void models.refetch()} />
      </Page>
    );
  const ids = models.data.data.map((m) => m.id);
  const model = picked ?? ids[0] ?? '<model>';
  return (
    <Page title="Connect a tool">
      <p>
        Base URL <code>{origin}/v1</code> <CopyButton text={`${origin}/v1`} label="Copy base URL" />. Every
        tool authenticates with an API token:{' '}
        <Link to="/console/tokens">create one on the Tokens screen</Link>.
      </p>
      {ids.length === 0 ? (
        <Empty>Your role may use no models yet. An admin allows models in the policy.</Empty>
      ) : (
        <Select
          label="Model"
          value={model}
          options={ids.map((id) => ({ id, label: id }))}
          onChange={setPicked}
        />
      )}
      <Tabs className="tabs">
        <TabList aria-label="Tools" className="tablist">
          {snippets(origin, model).map((s) => (
            <Tab key={s.id} id={s.id} className="tab">
              {s.label}
            </Tab>
          ))}
        </TabList>
        {snippets(origin, model).map((s) => (
          <TabPanel key={s.id} id={s.id} className="tabpanel">
            <pre className="code" tabIndex={0} aria-label={`${s.label} set-up`}>
              {s.code}
            </pre>
            <CopyButton text={s.code} label={`Copy ${s.label} set-up`} />
          </TabPanel>
        ))}
      </Tabs>
    </Page>
  );
}

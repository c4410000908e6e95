// The console in a real browser against a real all-in-one Airlock: an owner, an admin, a
// member and a viewer sign in through the development OIDC IdP and do what their role allows.
// Each screen is checked with axe (no serious or critical violations) and under the server's
// strict CSP (no violation reported); the main screens are saved to docs/console/*.png.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { waitFor } from '@airlock/common/testing';
import { stepAt, totpAt } from '../../identity/src/domain/totp.js';
import { startAirlock, type Airlock } from './support/airlock.js';
import { launch, open, screenshot, seriousViolations, type Tab } from './support/browser.js';

// Browser steps wait for what a person would see; each journey is given a minute.
jest.setTimeout(60_000);

let airlock: Airlock;
let browser: Browser;
const tabs: Record<string, Tab> = {};

async function signIn(role: 'owner' | 'admin' | 'member' | 'viewer'): Promise<Page> {
  const tab = await open(browser);
  tabs[role] = tab;
  const { page } = tab;
  await page.goto(`${airlock.url}/`);
  if (role === 'viewer') {
    // Keyboard only: the first Tab reaches the organisation field, Enter submits.
    await page.getByRole('heading', { name: 'Sign in to Airlock' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.name')).toBe('org');
    await page.keyboard.type('demo');
    await page.keyboard.press('Enter');
  } else {
    await page.getByLabel('Organisation', { exact: true }).fill('demo');
    await page.getByRole('button', { name: 'Continue with SSO' }).click();
  }
  // The development IdP's own login form (a real OIDC authorization with PKCE).
  await page.getByRole('heading', { name: 'DEVELOPMENT identity provider' }).waitFor();
  await page.locator('select[name=email]').selectOption(`${role}@example.com`);
  await page.locator('input[name=password]').fill(airlock.demoPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(/\/console\/overview$/);
  await page
    .locator('.who')
    .filter({ hasText: `${role}@example.com` })
    .waitFor();
  return page;
}

async function go(page: Page, screen: string, heading: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: screen }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

async function expectAccessible(page: Page): Promise<void> {
  // Loading states settle first: axe checks what a person would read.
  await page
    .locator('.state.loading')
    .first()
    .waitFor({ state: 'detached' })
    .catch(() => undefined);
  expect(await seriousViolations(page)).toEqual([]);
}

async function pick(page: Page, label: RegExp, option: string): Promise<void> {
  await page.getByRole('button', { name: label }).click();
  await page.getByRole('option', { name: option, exact: true }).click();
}

beforeAll(async () => {
  [airlock, browser] = await Promise.all([startAirlock(), launch()]);
}, 180_000);

afterAll(async () => {
  for (const tab of Object.values(tabs)) expect(tab.cspViolations).toEqual([]);
  await browser?.close();
  await airlock?.stop();
});

describe('console journeys', () => {
  it('serves the console at / under the strict CSP, and leaves API paths alone', async () => {
    const root = await fetch(`${airlock.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(root.headers.get('cache-control')).toBe('no-cache');
    const html = await root.text();
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/<style|style="/);
    const js = await fetch(`${airlock.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('cache-control')).toContain('immutable');
    // A client route falls back to index.html; an API path keeps its JSON answers.
    expect(await (await fetch(`${airlock.url}/console/policy`)).text()).toBe(html);
    const api = await fetch(`${airlock.url}/api/v1/me`);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe('unauthenticated');
    const unknown = await fetch(`${airlock.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/json');
  });

  it('shows the sign-in screen, accessible, to a signed-out visitor', async () => {
    const tab = await open(browser);
    tabs.visitor = tab;
    await tab.page.goto(`${airlock.url}/console/tokens`);
    await tab.page.getByRole('heading', { name: 'Sign in to Airlock' }).waitFor();
    await expectAccessible(tab.page);
    await screenshot(tab.page, 'sign-in');
    // A malformed slug is refused on the field, before any redirect.
    await tab.page.getByLabel('Organisation', { exact: true }).fill('Not A Slug!');
    await tab.page.getByRole('button', { name: 'Continue with SSO' }).click();
    await tab.page.getByText(/^Lower-case letters, digits and dashes/).waitFor();
    expect(await tab.page.getByLabel('Organisation', { exact: true }).getAttribute('aria-invalid')).toBe(
      'true',
    );
  });

  it('signs in all four roles through the IdP', async () => {
    for (const role of ['owner', 'admin', 'member', 'viewer'] as const) await signIn(role);
  }, 90_000);

  it('owner: the overview of the whole org, after some model calls', async () => {
    const page = tabs.owner!.page;
    await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
    await page.getByText('Everyone in your organisation').waitFor();
    // A few calls through the gateway with the owner's token, as curl would make them.
    const created = await page.request.post(`${airlock.url}/api/v1/tokens`, {
      data: { name: 'overview' },
      headers: { origin: airlock.url },
    });
    const { token } = (await created.json()) as { token: string };
    for (const model of ['airlock-demo', 'airlock-demo', 'airlock-demo', 'no-such-model']) {
      await fetch(`${airlock.url}/v1/chat/completions`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'user-agent': 'curl/8.5.0',
        },
        body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
      });
    }
    // Audit ingestion is asynchronous: wait until the stats count the calls, then reload.
    await waitFor(async () => {
      const res = await page.request.get(`${airlock.url}/api/v1/audit/stats?window=24h`);
      return ((await res.json()) as { totals: { requests: number } }).totals.requests >= 4;
    }, 20_000);
    await page.reload();
    // By model and by upstream (the demo upstream serves the demo model), by person, by tool.
    await page.getByRole('cell', { name: 'owner@example.com', exact: true }).waitFor();
    await page.getByRole('cell', { name: 'curl', exact: true }).waitFor();
    expect(await page.getByRole('cell', { name: 'airlock-demo', exact: true }).count()).toBe(2);
    await expectAccessible(page);
    await screenshot(page, 'overview');
  });

  it('member: the overview of their own requests', async () => {
    const page = tabs.member!.page;
    await page.getByText('Your own requests').waitFor();
  });

  it('owner: a token created (shown once, working at the gateway) and revoked', async () => {
    const page = tabs.owner!.page;
    await go(page, 'Tokens', 'Tokens');
    await page.getByLabel('New token name', { exact: true }).fill('laptop');
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('new-token').textContent())!;
    expect(secret.length).toBeGreaterThan(20);
    // The secret works against the gateway: the same one a tool would be given.
    const models = await fetch(`${airlock.url}/v1/models`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(models.status).toBe(200);
    await expectAccessible(page);
    await screenshot(page, 'tokens');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await expect(await page.getByTestId('new-token').count()).toBe(0);

    const mine = page.getByRole('region', { name: 'My tokens' });
    await mine.getByRole('button', { name: 'Revoke laptop' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Revoke token' }).click();
    await mine.getByText(/^revoked /).waitFor();
    const after = await fetch(`${airlock.url}/v1/models`, { headers: { authorization: `Bearer ${secret}` } });
    expect(after.status).toBe(401);
  });

  it('owner: members, with the self-change refusal explained', async () => {
    const page = tabs.owner!.page;
    await go(page, 'Members', 'Members');
    await page.getByRole('cell', { name: /^Demo Viewer · viewer@example\.com/ }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'members');
    await pick(page, /Role of owner@example.com/, 'viewer');
    await page.getByText('Nobody can change their own role or remove themselves').waitFor();
    // An allowed change goes through: the viewer becomes a member and back.
    await pick(page, /Role of viewer@example.com/, 'member');
    await page.getByRole('button', { name: /member\s*Role of viewer@example.com/ }).waitFor();
    await pick(page, /Role of viewer@example.com/, 'viewer');
    await page.getByRole('button', { name: /viewer\s*Role of viewer@example.com/ }).waitFor();
  });

  it('owner: a policy change saved; an invalid value is named on its field first', async () => {
    const page = tabs.owner!.page;
    await go(page, 'Policy', 'Policy');
    await page.getByLabel('Models members may use', { exact: true }).fill('llama-*');
    await page.getByLabel('Tokens per minute, each member', { exact: true }).fill('-5');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('The policy is invalid; nothing was changed.').waitFor();
    const field = page.getByLabel('Tokens per minute, each member', { exact: true });
    expect(await field.getAttribute('aria-invalid')).toBe('true');
    await field.fill('');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText(/^Saved as version \d+\.$/).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'policy');
  });

  it('owner: the access explainer follows the policy', async () => {
    const page = tabs.owner!.page;
    const explain = async (who: string, expected: 'Allowed' | 'Refused') => {
      await go(page, 'Access explainer', 'Access explainer');
      await pick(page, /Who/, who);
      await page.getByLabel('Model', { exact: true }).fill('airlock-demo');
      await page.getByRole('button', { name: 'Explain' }).click();
      await page.getByRole('heading', { name: new RegExp(`^${expected}: airlock-demo`) }).waitFor();
    };
    // Members may use llama-* only (the previous journey); owners anything.
    await explain('Any member', 'Refused');
    await page.locator('.step.fail').first().waitFor();
    await explain('Any owner', 'Allowed');
    await expectAccessible(page);
    await screenshot(page, 'explainer');
    await go(page, 'Policy', 'Policy');
    await page.getByLabel('Models members may use', { exact: true }).fill('*');
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText(/^Saved as version \d+\.$/).waitFor();
    await explain('Any member', 'Allowed');
  });

  it('admin: a version conflict is explained, then the diff between versions and a rollback', async () => {
    const admin = tabs.admin!.page;
    const owner = tabs.owner!.page;
    await go(admin, 'Policy', 'Policy');
    await admin.getByLabel('Session idle minutes', { exact: true }).fill('90');
    // Meanwhile the owner saves another version.
    await go(owner, 'Overview', 'Overview');
    await go(owner, 'Policy', 'Policy');
    await owner.getByLabel('Audit retention days', { exact: true }).fill('120');
    await owner.getByRole('button', { name: 'Save policy' }).click();
    const saved = Number(
      /(\d+)/.exec((await owner.getByText(/^Saved as version \d+\.$/).textContent())!)![1],
    );

    await admin.getByRole('button', { name: 'Save policy' }).click();
    await admin.getByText(`Someone saved version ${saved} while you edited.`).waitFor();
    expect(await admin.getByLabel('Session idle minutes', { exact: true }).inputValue()).toBe('90');
    await expectAccessible(admin);
    await screenshot(admin, 'policy-conflict');
    await admin.getByRole('button', { name: `Save mine over version ${saved}` }).click();
    await admin.getByText(`Saved as version ${saved + 1}.`).waitFor();

    await admin.getByRole('tab', { name: 'Versions' }).click();
    await admin.getByText(/Version \d+ → \d+: \d+ changed lines/).waitFor();
    expect(await admin.locator('.diff .add').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('"idleMinutes": 90')]),
    );
    await expectAccessible(admin);
    await screenshot(admin, 'policy-versions');
    await admin.getByRole('button', { name: `Roll back to version ${saved}` }).click();
    await admin.getByRole('alertdialog').getByRole('button', { name: 'Roll back' }).click();
    await admin.getByRole('cell', { name: `${saved + 2} (current)` }).waitFor();
  });

  it('admin: audit with filters, NDJSON export and the chain verified', async () => {
    const page = tabs.admin!.page;
    await go(page, 'Audit', 'Audit');
    await page.getByLabel('Action', { exact: true }).fill('policy.updated');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByRole('cell', { name: 'policy.updated' }).first().waitFor();
    expect(await page.getByRole('cell', { name: 'token.created' }).count()).toBe(0);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Export NDJSON' }).click(),
    ]);
    const lines = (await readFile((await download.path())!, 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.map((l) => (JSON.parse(l) as { action: string }).action)).toEqual(
      lines.map(() => 'policy.updated'),
    );
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText(/^Chain intact: \d+ events checked/).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'audit');

    await go(page, 'SSO and SCIM', 'SSO and SCIM');
    await page.getByRole('cell', { name: 'Development IdP (demo)', exact: true }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'sso');
    // Admins read SSO; only owners change it.
    expect(await page.getByRole('button', { name: 'Add connection' }).count()).toBe(0);
  });

  it('owner: an SSO test sign-in reports the claims, groups and mapped role', async () => {
    const page = tabs.owner!.page;
    await go(page, 'SSO and SCIM', 'SSO and SCIM');
    await page.getByRole('button', { name: 'Test sign-in with Development IdP (demo)' }).click();
    // The IdP may still hold the owner's session from the sign-in; otherwise it asks again.
    const form = page.getByRole('heading', { name: 'DEVELOPMENT identity provider' });
    await Promise.race([form.waitFor(), page.waitForURL(/\/console\/sso\?tested=/)]);
    if (await form.isVisible()) {
      await page.locator('select[name=email]').selectOption('owner@example.com');
      await page.locator('input[name=password]').fill(airlock.demoPassword);
      await page.getByRole('button', { name: 'Sign in' }).click();
    }
    await page.waitForURL(/\/console\/sso\?tested=/);
    await page.getByText('Success: owner@example.com would sign in as owner.').waitFor();
    await page.getByRole('definition').filter({ hasText: 'demo-owners' }).first().waitFor();
    // Still the owner's own session: nobody else was signed in.
    await page.locator('.who').filter({ hasText: 'owner@example.com' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'sso-test');
  });

  it('member: connect a tool with the real base URL and models; own tokens only', async () => {
    const page = tabs.member!.page;
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Connect a tool',
      'Tokens',
      'Access explainer',
    ]);
    await go(page, 'Connect a tool', 'Connect a tool');
    await page.getByText(`${airlock.url}/v1`).first().waitFor();
    await page.getByRole('tab', { name: 'curl' }).click();
    expect(await page.getByRole('tabpanel').textContent()).toContain(`${airlock.url}/v1/chat/completions`);
    // Codex: the configuration the gateway's Codex test runs with, for this install and model.
    await page.getByRole('tab', { name: 'Codex CLI' }).click();
    const codex = (await page.getByRole('tabpanel').textContent())!;
    expect(codex).toContain(`base_url = "${airlock.url}/v1"`);
    expect(codex).toContain('model = "airlock-demo"');
    expect(codex).toContain('wire_api = "responses"');
    // Continue: the configuration the gateway's Continue test runs with (name and version
    // included: Continue refuses a file without them).
    await page.getByRole('tab', { name: 'Continue' }).click();
    const cont = (await page.getByRole('tabpanel').textContent())!;
    expect(cont).toContain(`apiBase: "${airlock.url}/v1"`);
    expect(cont).toContain('model: "airlock-demo"');
    expect(cont).toContain('apiKey: ${{ secrets.AIRLOCK_API_KEY }}');
    expect(cont).toMatch(/^name: Airlock\nversion: 1\.0\.0$/m);
    await expectAccessible(page);
    await screenshot(page, 'connect');
    await go(page, 'Tokens', 'Tokens');
    expect(await page.getByRole('region', { name: 'All tokens in the organisation' }).count()).toBe(0);
    await page.getByLabel('New token name', { exact: true }).fill('editor');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByTestId('new-token').waitFor();
  });

  it('viewer: sees no write controls, and admin screens are not offered', async () => {
    const page = tabs.viewer!.page;
    const nav = page.getByRole('navigation', { name: 'Console' });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      'Overview',
      'Connect a tool',
      'Tokens',
      'Access explainer',
    ]);
    // Keyboard: focus the Tokens link and follow it with Enter; focus lands on the page heading.
    await nav.getByRole('link', { name: 'Tokens' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Tokens' }).waitFor();
    await page.getByText('Viewers hold no API tokens').waitFor();
    // Focus moves after the route renders: wait for it (fails if it never lands there).
    await page.waitForFunction("document.activeElement?.id === 'page-title'", undefined, { timeout: 30_000 });
    await go(page, 'Connect a tool', 'Connect a tool');
    await page.getByText('Viewers use no models').waitFor();
    for (const path of ['policy', 'members', 'audit']) {
      await page.goto(`${airlock.url}/console/${path}`);
      await page.getByRole('heading', { level: 1, name: 'Not available' }).waitFor();
    }
    await expectAccessible(page);
    // The only buttons a viewer gets: sign-out (everywhere) and the explainer's own form.
    for (const screen of ['Overview', 'Tokens', 'Connect a tool']) {
      await go(page, screen, screen);
      const buttons = (await page.getByRole('button').allTextContents()).filter((b) => b !== 'Sign out');
      expect(buttons.filter((b) => /create|save|revoke|remove|delete|rotate|add/i.test(b))).toEqual([]);
    }
  });

  it('platform admin: break-glass sign-in with TOTP enrolment, then organisations and an org set-up', async () => {
    const tab = await open(browser);
    tabs.platform = tab;
    const { page } = tab;
    await page.goto(`${airlock.url}/`);
    await page.getByRole('button', { name: 'Platform administrator (break-glass) sign-in' }).click();
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(airlock.platformPassword);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    // First sign-in: enrol the authenticator with the secret shown, then confirm a code.
    const secret = (await page.getByTestId('totp-secret').textContent())!;
    await page
      .getByLabel('Authenticator code (TOTP)', { exact: true })
      .fill(totpAt(secret, stepAt(new Date())));
    await page.getByRole('button', { name: 'Confirm code' }).click();
    await page.waitForURL(/\/console\/platform$/);
    await page.getByRole('cell', { name: 'demo', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Set up' }).click();
    await page.getByRole('heading', { name: 'Set up demo' }).waitFor();
    await page.getByRole('cell', { name: 'Development IdP (demo)', exact: true }).waitFor();
    await page.getByText('No pending owners.').waitFor();
    await expectAccessible(page);
    await screenshot(page, 'platform');
  });
});

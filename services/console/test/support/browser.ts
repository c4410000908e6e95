// Debian's Chromium driven by playwright-core (no browser download), axe checks, screenshots,
// and a watch for Content-Security-Policy violations (the console must need none).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const SHOTS = path.resolve(import.meta.dirname, '../../../../docs/console');

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    // Tests run as root in CI: Chromium's sandbox needs an unprivileged user.
    args: ['--no-sandbox'],
  });
}

export interface Tab {
  context: BrowserContext;
  page: Page;
  /** Console messages about CSP violations seen so far. */
  cspViolations: string[];
}

export async function open(browser: Browser): Promise<Tab> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  // Every wait is for a screen a person would see within moments; a miss fails fast.
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const cspViolations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(`${page.url()}: ${m.text()}`);
  });
  return { context, page, cspViolations };
}

/** Serious and critical axe violations on the page as it is now (ids and where). */
export async function seriousViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  // The top of the screen: its heading and any message a journey just produced.
  await page.evaluate('window.scrollTo(0, 0)');
  // caret 'initial': hiding the caret makes Playwright inject a <style> tag, which the page's
  // CSP rightly refuses (and the violation watch would report as the console's).
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false, caret: 'initial' });
}

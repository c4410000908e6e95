// @ts-check
// What to paste into the coding agents after `airlock login`. The token itself never appears
// here: each tool asks `airlock token` (or an environment variable filled from it) when needed.

/** @param {string} url the Airlock base URL */
export function claudeCodeSnippet(url) {
  const settings = {
    apiKeyHelper: 'airlock token',
    env: {
      ANTHROPIC_BASE_URL: url,
      // Ask the helper again every 15 minutes, so a new `airlock login` is picked up.
      CLAUDE_CODE_API_KEY_HELPER_TTL_MS: '900000',
      // Nothing but Airlock: no telemetry, update checks or error reports to the vendor
      // (the same settings services/gateway/test/clients/claude-code.test.ts runs with).
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
    },
  };
  return `Claude Code (~/.claude/settings.json or .claude/settings.json):\n${JSON.stringify(settings, null, 2)}\n`;
}

/**
 * The Codex config the gateway's Codex test runs with (services/gateway/test/clients/codex.test.ts
 * builds its config.toml from this function). Without the feature switches Codex dials
 * github.com and chatgpt.com at start.
 * @param {string} url the Airlock base URL
 * @param {string | undefined} model one of the member's models (from /v1/models), if known
 * @param {string} [envKey] the environment variable Codex reads the token from
 */
export function codexConfig(url, model, envKey = 'AIRLOCK_API_KEY') {
  return `${model ? `model = ${JSON.stringify(model)}` : '# model = "<one of your models: GET /v1/models>"'}
model_provider = "airlock"
check_for_update_on_startup = false
web_search = "disabled"

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false

[model_providers.airlock]
name = "Airlock"
base_url = "${new URL('/v1', url).toString()}"
wire_api = "responses"
env_key = "${envKey}"
`;
}

/**
 * @param {string} url the Airlock base URL
 * @param {string | undefined} model one of the member's models, if known
 */
export function codexSnippet(url, model) {
  return `Codex (~/.codex/config.toml), then run codex with AIRLOCK_API_KEY="$(airlock token)":\n${codexConfig(url, model)}`;
}

/**
 * The Continue config the gateway's Continue test runs with (services/gateway/test/clients/continue.test.ts
 * builds its config.yaml from this function). Continue resolves `${{ secrets.NAME }}` from
 * the environment, so the token never sits in the file. `name` and `version` are required
 * by Continue's schema: a file without them is refused ("Failed to parse config"). The
 * User-Agent header is lowercase on purpose: Continue's SDK replaces `User-Agent`, not this.
 * @param {string} url the Airlock base URL
 * @param {string | undefined} model one of the member's models (from /v1/models), if known
 * @param {string} [secretName] the environment variable Continue reads the token from
 */
export function continueConfig(url, model, secretName = 'AIRLOCK_API_KEY') {
  return `name: Airlock
version: 1.0.0
schema: v1
models:
  - name: Airlock
    provider: openai
    model: ${model ? JSON.stringify(model) : '"<one of your models: GET /v1/models>"'}
    apiBase: ${JSON.stringify(new URL('/v1', url).toString())}
    apiKey: \${{ secrets.${secretName} }}
    # Continue sends its bundled SDK's User-Agent ("ls/JS …"); this one names it in the audit trail.
    requestOptions:
      headers:
        user-agent: Continue
`;
}

/**
 * @param {string} url the Airlock base URL
 * @param {string | undefined} model one of the member's models, if known
 */
export function continueSnippet(url, model) {
  return `Continue (~/.continue/config.yaml), then run cn with AIRLOCK_API_KEY="$(airlock token)":\n${continueConfig(url, model)}`;
}

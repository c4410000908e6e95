// @ts-check
// What to paste into the coding agents after `airlock login`. The token itself never appears
// here: both tools ask `airlock token` (or an environment variable filled from it) when needed.

/** @param {string} url the Airlock base URL */
export function claudeCodeSnippet(url) {
  const settings = {
    apiKeyHelper: 'airlock token',
    env: {
      ANTHROPIC_BASE_URL: url,
      // Ask the helper again every 15 minutes, so a new `airlock login` is picked up.
      CLAUDE_CODE_API_KEY_HELPER_TTL_MS: '900000',
    },
  };
  return `Claude Code (~/.claude/settings.json or .claude/settings.json):\n${JSON.stringify(settings, null, 2)}\n`;
}

/** @param {string} url the Airlock base URL */
export function codexSnippet(url) {
  return `Codex (~/.codex/config.toml), then run codex with AIRLOCK_API_KEY="$(airlock token)":
model_provider = "airlock"

[model_providers.airlock]
name = "Airlock"
base_url = "${new URL('/v1', url).toString()}"
wire_api = "responses"
env_key = "AIRLOCK_API_KEY"
`;
}

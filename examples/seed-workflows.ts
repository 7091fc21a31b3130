/**
 * The seed's YAML workflows (custom-nodes-architecture.md), as the demo, the Temporal example and
 * the end-to-end tests run them: one copy, imported by all of them. Changes from the seed, each needed to run it here:
 * - `https://api.example.com` becomes the origin of a local server (`startDataServer`);
 * - the Python script uses `statistics` instead of numpy (numpy wheels are not available to these
 *   machines); `np.std` is the population standard deviation, so it becomes `statistics.pstdev`.
 *
 * @module
 */

/** The seed's "YAML Usage" tree: two tenant custom nodes. */
export const NOTIFICATION_YAML = `
type: Sequence
id: notification-workflow
children:
  # Custom node uploaded by tenant
  - type: SendSlackMessage
    id: notify-slack
    props:
      channel: "#alerts"
      message: "Order {{orderId}} received!"

  # Another custom node
  - type: CreateJiraTicket
    id: create-ticket
    props:
      project: "OPS"
      summary: "New order: {{orderId}}"
      description: "Customer: {{customerEmail}}"
`;

/** The seed's Python script with numpy replaced by `statistics` (`np.std` = population std = `pstdev`). */
export const PYTHON_STATS_SCRIPT = `import json
import statistics

# httpResponse comes from blackboard
data = httpResponse['data']

# Process data
values = [item['value'] for item in data]
mean = statistics.mean(values)
std = statistics.pstdev(values)

# Result stored in blackboard under 'processedData'
result = {
    'mean': mean,
    'std': std,
    'count': len(values)
}
`;

/** The same computation in JavaScript (population standard deviation, like `pstdev`). */
export const JAVASCRIPT_STATS_SCRIPT = `const values = httpResponse.data.map((item) => item.value);
const mean = values.reduce((a, b) => a + b, 0) / values.length;
const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / values.length);
result = { mean, std, count: values.length };
`;

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .trimEnd()
    .split('\n')
    .map((line) => (line === '' ? '' : pad + line))
    .join('\n');
}

/**
 * The seed's "data-processing" tree against `origin` (e.g. `http://127.0.0.1:41234`), with the
 * processing step in Python (the seed's) or JavaScript.
 */
export function dataProcessingYaml(origin: string, language: 'python' | 'javascript' = 'python'): string {
  const [type, script] = language === 'python' ? ['PythonInterpreter', PYTHON_STATS_SCRIPT] : ['JavaScriptInterpreter', JAVASCRIPT_STATS_SCRIPT];
  return `
type: Sequence
id: data-processing
children:
  # Fetch data via HTTP
  - type: HttpRequest
    id: fetch-data
    props:
      url: "${origin}/data"
      method: "GET"

  # Process data with ${language === 'python' ? 'Python' : 'JavaScript'}
  - type: ${type}
    id: process-data
    props:
      outputKey: "processedData"
      timeout: "30s"
      script: |
${indent(script, 8)}

  # Send processed data
  - type: HttpRequest
    id: send-results
    props:
      url: "${origin}/results"
      method: "POST"
      body:
        stats: "{{processedData}}"
`;
}

// Drives the official TypeScript SDK (@anthropic-ai/sdk) through each case of ../cases.json
// twice — direct to the mock API, then through `callwatch proxy` — and fails unless the SDK
// received the same thing both ways (status, error class, message, request id, headers, body or
// stream events) and the mock received the same requests. Run by tests/conformance/run, which
// sets MOCK_URL, PROXY_URL and CASE_PREFIX.

import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { VERSION } from '@anthropic-ai/sdk/version';

const suite = JSON.parse(readFileSync(new URL('../cases.json', import.meta.url), 'utf8'));
const MOCK = process.env.MOCK_URL;
const PROXY = process.env.PROXY_URL;
const PREFIX = process.env.CASE_PREFIX ?? 'conf-ts';
// Obviously fake: the suite also checks this text never shows up in the proxy's output.
const KEY = 'sk-ant-FAKE-cnode-0000';
// Per-connection or per-second values: legitimately different between two runs.
const VOLATILE = new Set(['date', 'transfer-encoding', 'connection', 'keep-alive']);

async function mockAdmin(path, payload) {
  const response = await fetch(MOCK + path, {
    method: payload === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`mock ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

function headersOf(headers) {
  const out = {};
  for (const [k, v] of headers.entries()) {
    const name = k.toLowerCase();
    if (!VOLATILE.has(name) && !name.endsWith('-reset')) out[name] = v;
  }
  return out;
}

function errorView(e) {
  return {
    error_class: e.constructor.name,
    status: e.status,
    message: e.message,
    request_id: e.requestID,
    body: e.error,
    headers: e.headers ? headersOf(e.headers) : null,
  };
}

// For a stream, `ttft_ms` is when the first content_block_delta reached the caller (not compared).
async function call(kase, baseURL, model) {
  await mockAdmin('/__mock/reset', {});
  await mockAdmin('/__mock/script', kase.replies);
  const client = new Anthropic({ apiKey: KEY, baseURL, maxRetries: kase.max_retries, timeout: 30_000 });
  const params = {
    model: model ?? `${PREFIX}-${kase.name}`,
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Say hello.' }],
  };
  let got;
  try {
    if (kase.stream) {
      const started = performance.now();
      const { data: stream, response } = await client.messages.create({ ...params, stream: true }).withResponse();
      got = { status: response.status, headers: headersOf(response.headers), events: [] };
      try {
        for await (const event of stream) {
          if (event.type === 'content_block_delta' && got.ttft_ms === undefined) {
            got.ttft_ms = performance.now() - started;
          }
          got.events.push(event);
        }
      } catch (e) {
        if (!(e instanceof Anthropic.APIError)) throw e;
        got.stream_error = { error_class: e.constructor.name, message: e.message, body: e.error };
      }
    } else {
      const { data, response, request_id } = await client.messages.create(params).withResponse();
      got = { status: response.status, headers: headersOf(response.headers), request_id, message: data };
    }
  } catch (e) {
    if (!(e instanceof Anthropic.APIError) || e.status === undefined) throw e;
    got = errorView(e);
  }
  got.mock_saw = (await mockAdmin('/__mock/requests')).requests;
  got.unused_replies = kase.replies.length - got.mock_saw.length;
  return got;
}

// The direct run itself must be what the case is about (else the comparison is vacuous).
function expectationProblems(kase, got) {
  const want = kase.sdk;
  const problems = [];
  if (got.status !== want.status) problems.push(`status ${got.status} (want ${want.status})`);
  if ('error_type' in want && got.body?.error?.type !== want.error_type) {
    problems.push(`error type ${got.body?.error?.type} (want ${want.error_type})`);
  }
  if ('stream_error_type' in want && got.stream_error?.body?.error?.type !== want.stream_error_type) {
    problems.push(`stream error type ${got.stream_error?.body?.error?.type}`);
  }
  if (got.unused_replies !== 0) problems.push(`${got.unused_replies} scripted replies unused`);
  return problems;
}

function differences(direct, proxied, path = '') {
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (isObject(direct) && isObject(proxied)) {
    const keys = [...new Set([...Object.keys(direct), ...Object.keys(proxied)])].sort();
    return keys.flatMap((k) => differences(direct[k] ?? '<absent>', proxied[k] ?? '<absent>', `${path}.${k}`));
  }
  if (Array.isArray(direct) && Array.isArray(proxied) && direct.length === proxied.length) {
    return direct.flatMap((d, i) => differences(d, proxied[i], `${path}[${i}]`));
  }
  return isDeepStrictEqual(direct, proxied)
    ? []
    : [`${path}: direct ${JSON.stringify(direct)} != proxy ${JSON.stringify(proxied)}`];
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Time to first token through the proxy against direct: the medians of `runs` more calls each
// way (alternating, under their own model names so /metrics keeps one call per case).
async function ttftProblems(kase, direct, proxied) {
  const spec = kase.ttft;
  if (!spec) return [];
  const times = { direct: [direct.ttft_ms], proxy: [proxied.ttft_ms] };
  for (let run = 0; run < spec.runs; run += 1) {
    const model = `${PREFIX}-${kase.name}-run${run}`;
    times.direct.push((await call(kase, MOCK, model)).ttft_ms);
    times.proxy.push((await call(kase, PROXY, model)).ttft_ms);
  }
  if ([...times.direct, ...times.proxy].some((t) => t === undefined)) {
    return [`no content_block_delta in some run: ${JSON.stringify(times)}`];
  }
  const d = median(times.direct);
  const p = median(times.proxy);
  console.log(`    time to first token, median of ${times.direct.length}: direct ${d.toFixed(1)} ms, proxy ${p.toFixed(1)} ms (difference ${(p - d >= 0 ? '+' : '')}${(p - d).toFixed(1)} ms)`);
  const problems = [];
  if (d < spec.at_least_ms) problems.push(`direct time to first token ${d.toFixed(1)} ms < the mock's ${spec.at_least_ms} ms`);
  if (Math.abs(p - d) > spec.within_ms) {
    problems.push(`time to first token through the proxy ${p.toFixed(1)} ms vs direct ${d.toFixed(1)} ms: more than ${spec.within_ms} ms apart`);
  }
  return problems;
}

function summary(got) {
  if ('error_class' in got) return `${got.status} ${got.error_class}`;
  if ('events' in got) {
    const tail = got.stream_error ? ` +${got.stream_error.error_class}` : '';
    return `${got.status} ${got.events.length} events${tail}`;
  }
  return `${got.status} message`;
}

let failures = 0;
console.log(`TypeScript SDK @anthropic-ai/sdk ${VERSION}: direct ${MOCK} vs proxy ${PROXY}`);
console.log(`${'case'.padEnd(24)} ${'direct'.padEnd(34)} ${'proxy'.padEnd(34)} result`);
for (const kase of suite.cases) {
  const direct = await call(kase, MOCK);
  const proxied = await call(kase, PROXY);
  const timing = await ttftProblems(kase, direct, proxied);
  delete direct.ttft_ms;
  delete proxied.ttft_ms;
  const problems = [...expectationProblems(kase, direct), ...differences(direct, proxied), ...timing];
  const left = `${summary(direct)} (${direct.mock_saw.length} att)`;
  const right = `${summary(proxied)} (${proxied.mock_saw.length} att)`;
  console.log(`${kase.name.padEnd(24)} ${left.padEnd(34)} ${right.padEnd(34)} ${problems.length ? 'MISMATCH' : 'ok'}`);
  for (const p of problems) console.log(`    ${p}`);
  if (problems.length) failures += 1;
}
if (failures) {
  console.log(`node: ${failures} case(s) failed`);
  process.exit(1);
}
console.log(`node: all ${suite.cases.length} cases identical direct and through the proxy`);

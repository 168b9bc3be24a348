/**
 * The intake v2 constraints APM Server enforces, written out for the fields the collector
 * reads or indexes: required fields, id and timestamp types, service-name pattern and the
 * 1024-character keyword limit. Anything else an agent sends is kept verbatim in `doc`.
 * test/schema-conformance.test.ts checks that these agree with the published schemas.
 */
const str = { type: ['null', 'string'] } as const;
const keyword = { type: ['null', 'string'], maxLength: 1024 } as const;
const reqKeyword = { type: 'string', maxLength: 1024 } as const;
const int = { type: ['null', 'integer'] } as const;
const num = { type: ['null', 'number'] } as const;
const obj = { type: ['null', 'object'] } as const;
const serviceName = { type: ['null', 'string'], maxLength: 1024, pattern: '^[a-zA-Z0-9 _-]+$' } as const;

const frame = {
  type: 'object',
  properties: { filename: str, classname: str, function: str, lineno: int, colno: int, library_frame: { type: ['null', 'boolean'] } },
  anyOf: [{ required: ['classname'], properties: { classname: { type: 'string' } } }, { required: ['filename'], properties: { filename: { type: 'string' } } }],
} as const;
const stacktrace = { type: ['null', 'array'], items: frame } as const;

const context = {
  type: ['null', 'object'],
  properties: {
    service: { type: ['null', 'object'], properties: { name: serviceName, environment: keyword } },
    tags: obj,
  },
} as const;

const links = { type: ['null', 'array'], items: { type: 'object', required: ['span_id', 'trace_id'], properties: { span_id: reqKeyword, trace_id: reqKeyword } } } as const;

export const metadataSchema = {
  $id: 'sightline/intake/v2/metadata',
  type: 'object',
  required: ['service'],
  properties: {
    service: {
      type: 'object',
      required: ['agent', 'name'],
      properties: {
        name: { ...serviceName, type: 'string', minLength: 1 },
        environment: keyword,
        version: keyword,
        agent: { type: 'object', required: ['name', 'version'], properties: { name: reqKeyword, version: reqKeyword } },
        language: { type: ['null', 'object'], required: ['name'], properties: { name: reqKeyword } },
        runtime: { type: ['null', 'object'], required: ['name', 'version'], properties: { name: reqKeyword, version: reqKeyword } },
        framework: obj,
      },
    },
    process: { type: ['null', 'object'], required: ['pid'], properties: { pid: { type: 'integer' } } },
    system: obj,
    user: obj,
    cloud: { type: ['null', 'object'], required: ['provider'], properties: { provider: reqKeyword } },
    labels: obj,
  },
} as const;

export const transactionSchema = {
  $id: 'sightline/intake/v2/transaction',
  type: 'object',
  required: ['trace_id', 'id', 'type', 'span_count', 'duration'],
  properties: {
    id: reqKeyword,
    trace_id: reqKeyword,
    parent_id: keyword,
    name: keyword,
    type: reqKeyword,
    result: keyword,
    outcome: { enum: [null, 'success', 'failure', 'unknown'] },
    timestamp: int,
    duration: { type: 'number', minimum: 0 },
    sampled: { type: ['null', 'boolean'] },
    span_count: { type: 'object', required: ['started'], properties: { started: { type: 'integer' }, dropped: int } },
    context,
    links,
  },
} as const;

export const spanSchema = {
  $id: 'sightline/intake/v2/span',
  type: 'object',
  required: ['id', 'trace_id', 'name', 'parent_id', 'type', 'duration'],
  properties: {
    id: reqKeyword,
    trace_id: reqKeyword,
    parent_id: reqKeyword,
    transaction_id: keyword,
    name: reqKeyword,
    type: reqKeyword,
    subtype: keyword,
    action: keyword,
    outcome: { enum: [null, 'success', 'failure', 'unknown'] },
    start: num,
    timestamp: int,
    duration: { type: 'number', minimum: 0 },
    stacktrace,
    context,
    links,
  },
  anyOf: [{ required: ['start'], properties: { start: { type: 'number' } } }, { required: ['timestamp'], properties: { timestamp: { type: 'integer' } } }],
} as const;

export const errorSchema = {
  $id: 'sightline/intake/v2/error',
  type: 'object',
  required: ['id'],
  properties: {
    id: reqKeyword,
    trace_id: keyword,
    transaction_id: keyword,
    parent_id: keyword,
    timestamp: int,
    culprit: keyword,
    exception: {
      type: ['null', 'object'],
      properties: { message: str, type: keyword, module: keyword, handled: { type: ['null', 'boolean'] }, stacktrace },
      anyOf: [{ required: ['message'], properties: { message: { type: 'string' } } }, { required: ['type'], properties: { type: { type: 'string' } } }],
    },
    log: { type: ['null', 'object'], required: ['message'], properties: { message: { type: 'string' }, level: keyword, stacktrace } },
    context,
  },
  anyOf: [{ required: ['exception'], properties: { exception: { type: 'object' } } }, { required: ['log'], properties: { log: { type: 'object' } } }],
  allOf: [
    { if: { required: ['transaction_id'], properties: { transaction_id: { type: 'string' } } }, then: { required: ['parent_id'], properties: { parent_id: { type: 'string' } } } },
    { if: { required: ['trace_id'], properties: { trace_id: { type: 'string' } } }, then: { required: ['parent_id'], properties: { parent_id: { type: 'string' } } } },
    { if: { required: ['transaction_id'], properties: { transaction_id: { type: 'string' } } }, then: { required: ['trace_id'], properties: { trace_id: { type: 'string' } } } },
    { if: { required: ['parent_id'], properties: { parent_id: { type: 'string' } } }, then: { required: ['trace_id'], properties: { trace_id: { type: 'string' } } } },
  ],
} as const;

const sample = {
  type: ['null', 'object'],
  properties: { value: num, values: { type: ['null', 'array'], items: { type: 'number' } }, counts: { type: ['null', 'array'], items: { type: 'integer', minimum: 0 } } },
  anyOf: [{ required: ['value'], properties: { value: { type: 'number' } } }, { required: ['values'], properties: { values: { type: 'array' } } }],
} as const;

export const metricsetSchema = {
  $id: 'sightline/intake/v2/metricset',
  type: 'object',
  required: ['samples'],
  properties: {
    timestamp: int,
    samples: { type: 'object', additionalProperties: false, patternProperties: { '^[^*"]*$': sample } },
    tags: obj,
    transaction: obj,
    span: obj,
  },
} as const;

export const logSchema = {
  $id: 'sightline/intake/v2/log',
  type: 'object',
  properties: {
    // APM Server also takes an RFC 3339 string here; the decoder turns it into µs first.
    '@timestamp': int,
    message: str,
    faas: obj,
  },
} as const;

import { isLosslessNumber, type LosslessNumber } from 'lossless-json';

import { isJsonObject, type JsonValue } from './json-value';
import { isPythonInt, pythonRepr as repr } from './python-repr';

/**
 * The error a BigchainDB node reports for a schema violation: Python jsonschema 3.2's
 * `Draft4Validator.iter_errors` (keywords in the schema's own key order, which is the YAML file's) reduced by
 * `exceptions.best_match`. Only as much of draft-04 as the transaction schemas use.
 */

/** The part of draft-04 that the transaction schemas use. */
export interface Draft4Schema {
  readonly $schema?: string;
  readonly $ref?: string;
  readonly title?: string;
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'null';
  readonly enum?: readonly string[];
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly minProperties?: number;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly properties?: Readonly<Record<string, Draft4Schema>>;
  readonly items?: Draft4Schema;
  readonly anyOf?: readonly Draft4Schema[];
  readonly definitions?: Readonly<Record<string, Draft4Schema>>;
}

/** Object keys and array indexes from the document root. */
export type JsonPath = readonly (string | number)[];

/** One jsonschema `ValidationError`. */
export interface SchemaError {
  readonly message: string;
  /** The failing keyword; best_match rates `anyOf` errors weak. */
  readonly validator: string;
  /** Where the failing instance is: best_match prefers shallow errors, then the deepest inside an `anyOf`. */
  readonly path: JsonPath;
  readonly field: string;
  readonly context: readonly SchemaError[];
}

/**
 * jsonschema 3.2's `best_match(Draft4Validator(schema).iter_errors(instance))`: the error a node words its
 * message from, or `undefined` when the instance is valid. `$ref`s resolve against `schema.definitions`.
 */
export function bestSchemaError(schema: Draft4Schema, instance: JsonValue): SchemaError | undefined {
  return bestMatch(iterErrors(schema, instance, [], schema));
}

const NONE: readonly SchemaError[] = [];

type Check = (schema: Draft4Schema, instance: JsonValue, path: JsonPath, root: Draft4Schema) => SchemaError[];

/** `iter_errors`: every error, in the order of the schema's keywords and, below them, of `properties`. */
const iterErrors: Check = (schema, instance, path, root) => {
  // Draft-04: `$ref` overrides its sibling keywords.
  if (schema.$ref !== undefined) return iterErrors(resolve(root, schema.$ref), instance, path, root);
  return Object.keys(schema).flatMap((keyword) => KEYWORDS[keyword]?.(schema, instance, path, root) ?? []);
};

function resolve(root: Draft4Schema, $ref: string): Draft4Schema {
  const target = root.definitions?.[$ref.replace('#/definitions/', '')];
  if (target === undefined) throw new Error(`unresolvable $ref ${$ref}`);
  return target;
}

/** Python's `max` by relevance (first of equals), then `min` down through the `anyOf` contexts. */
function bestMatch(errors: readonly SchemaError[]): SchemaError | undefined {
  let best = pick(errors, 1);
  while (best !== undefined && best.context.length > 0) best = pick(best.context, -1);
  return best;
}

function pick(errors: readonly SchemaError[], sign: 1 | -1): SchemaError | undefined {
  return errors.reduce<SchemaError | undefined>(
    (best, error) => (best === undefined || compareRelevance(error, best) * sign > 0 ? error : best),
    undefined,
  );
}

// relevance(error) = (-len(error.path), error.validator not in ('anyOf', 'oneOf'), False)
function compareRelevance(a: SchemaError, b: SchemaError): number {
  if (a.path.length !== b.path.length) return b.path.length - a.path.length;
  return Number(a.validator !== 'anyOf') - Number(b.validator !== 'anyOf');
}

function fail(validator: string, message: string, path: JsonPath, field = jsonPointer(path), context = NONE) {
  return [{ validator, message, path, field, context }];
}

// Messages are jsonschema 3.2's `_validators.py` / `_legacy_validators.py` format strings.
const KEYWORDS: Readonly<Record<string, Check>> = {
  type: ({ type = 'object' }, value, path) =>
    isType(value, type) ? [] : fail('type', `${repr(value)} is not of type ${repr(type)}`, path),
  required: ({ required = [] }, value, path) =>
    isJsonObject(value)
      ? required
          .filter((name) => !Object.hasOwn(value, name))
          .flatMap((name) => {
            const message = `${repr(name)} is a required property`;
            return fail('required', message, path, jsonPointer([...path, name]));
          })
      : [],
  additionalProperties: ({ additionalProperties, properties = {} }, value, path) => {
    if (additionalProperties !== false || !isJsonObject(value)) return [];
    // jsonschema puts the extras in a `set`, so a node lists several in hash order; this keeps document order.
    const extras = Object.keys(value).filter((name) => !Object.hasOwn(properties, name));
    const listed = `${extras.map((name) => repr(name)).join(', ')} ${extras.length === 1 ? 'was' : 'were'}`;
    const message = `Additional properties are not allowed (${listed} unexpected)`;
    const [first] = extras;
    return first === undefined ? [] : fail('additionalProperties', message, path, jsonPointer([...path, first]));
  },
  properties: ({ properties = {} }, value, path, root) =>
    isJsonObject(value)
      ? Object.entries(properties).flatMap(([name, subschema]) => {
          const member = value[name];
          return Object.hasOwn(value, name) && member !== undefined
            ? iterErrors(subschema, member, [...path, name], root)
            : [];
        })
      : [],
  items: ({ items = {} }, value, path, root) =>
    Array.isArray(value) ? value.flatMap((item, index) => iterErrors(items, item, [...path, index], root)) : [],
  anyOf: ({ anyOf = [] }, value, path, root) => {
    const context: SchemaError[] = [];
    for (const subschema of anyOf) {
      const errors = iterErrors(subschema, value, path, root);
      if (errors.length === 0) return [];
      context.push(...errors);
    }
    const message = `${repr(value)} is not valid under any of the given schemas`;
    return fail('anyOf', message, path, jsonPointer(path), context);
  },
  pattern: ({ pattern = '' }, value, path) =>
    typeof value === 'string' && !regExp(pattern).test(value)
      ? fail('pattern', `${repr(value)} does not match ${repr(pattern)}`, path)
      : [],
  enum: ({ enum: allowed = [] }, value, path) =>
    typeof value === 'string' && allowed.includes(value)
      ? []
      : fail('enum', `${repr(value)} is not one of ${repr([...allowed])}`, path),
  minimum: ({ minimum = 0 }, value, path) =>
    isNumber(value) && compareNumber(value, minimum) < 0
      ? fail('minimum', `${repr(value)} is less than the minimum of ${minimum}`, path)
      : [],
  maximum: ({ maximum = 0 }, value, path) =>
    isNumber(value) && compareNumber(value, maximum) > 0
      ? fail('maximum', `${repr(value)} is greater than the maximum of ${maximum}`, path)
      : [],
  minItems: ({ minItems = 0 }, value, path) =>
    Array.isArray(value) && value.length < minItems ? fail('minItems', `${repr(value)} is too short`, path) : [],
  maxItems: ({ maxItems = 0 }, value, path) =>
    Array.isArray(value) && value.length > maxItems ? fail('maxItems', `${repr(value)} is too long`, path) : [],
  minProperties: ({ minProperties = 0 }, value, path) =>
    isJsonObject(value) && Object.keys(value).length < minProperties
      ? fail('minProperties', `${repr(value)} does not have enough properties`, path)
      : [],
};

function isType(value: JsonValue, type: NonNullable<Draft4Schema['type']>): boolean {
  if (type === 'integer') return isNumber(value) && isPythonInt(value); // draft-04: `1.0` is no integer
  if (type === 'object') return isJsonObject(value);
  if (type === 'array') return Array.isArray(value);
  return type === 'null' ? value === null : typeof value === type;
}

function isNumber(value: JsonValue): value is number | LosslessNumber {
  return typeof value === 'number' || isLosslessNumber(value);
}

/** Sign of `value - limit`, exact for integers beyond 2^53 as in Python. */
function compareNumber(value: number | LosslessNumber, limit: number): number {
  if (typeof value === 'number') return Math.sign(value - limit);
  if (!isPythonInt(value)) return Math.sign(Number(value.value) - limit);
  const delta = BigInt(value.value) - BigInt(limit);
  return delta === 0n ? 0 : delta > 0n ? 1 : -1;
}

const regExps = new Map<string, RegExp>();

/** Unanchored, like Python's `re.search`; with `u` like ajv, so both see code points. */
function regExp(pattern: string): RegExp {
  let compiled = regExps.get(pattern);
  if (compiled === undefined) regExps.set(pattern, (compiled = new RegExp(pattern, 'u')));
  return compiled;
}

/** RFC 6901 JSON pointer of a path. */
export function jsonPointer(path: JsonPath): string {
  return path.map((part) => `/${String(part).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

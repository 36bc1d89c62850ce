/**
 * ASP.NET Core route templates as the Functions host reads an HTTP trigger's `route` (spec §3): literal
 * segments matched case-insensitively, `{name}`, optional `{name?}`, defaults `{name=value}`, inline
 * constraints `{name:int}` (several may be chained: `{name:int:min(1)}`) and a final catch-all `{*rest}`
 * (or `{**rest}`). Complex segments that mix literals and parameters (`{name}.{ext}`) and the constraints
 * `datetime`, `file` and `nonfile` are rejected rather than half-implemented.
 */

/** A parsed route template. */
export interface RouteTemplate {
  /** The template text as given. */
  readonly template: string;
  /**
   * ASP.NET's inbound precedence (`RoutePrecedence.ComputeInbound`), one digit per segment: 1 literal,
   * 2 constrained parameter, 3 parameter, 4 constrained catch-all, 5 catch-all. Lower sorts first.
   */
  readonly precedence: readonly number[];
  /**
   * The route values when `path` matches, else `undefined`. `path` is the URL path (leading `/` optional,
   * one trailing `/` ignored, no query), still percent-encoded: each segment is decoded before it is compared,
   * except `%2F`, which stays as it is (as Kestrel does), so a value never gains a `/` the path did not have.
   * An optional parameter without a value is absent from the result; a catch-all holds the rest of the path.
   */
  match(path: string): Record<string, string> | undefined;
}

/** A route template that cannot be parsed; `message` names the template and the problem. */
export class RouteTemplateError extends Error {
  override readonly name = 'RouteTemplateError';
  readonly code = 'HOST_ROUTE_TEMPLATE_INVALID';
  constructor(
    readonly template: string,
    readonly problem: string,
  ) {
    super(`Invalid route template '${template}': ${problem}.`);
  }
}

type Test = (value: string) => boolean;
type Fail = (problem: string) => never;

interface Parameter {
  readonly kind: 'parameter';
  readonly name: string;
  readonly optional: boolean;
  readonly catchAll: boolean;
  readonly defaultValue: string | undefined;
  readonly constraints: readonly Test[];
}

type Segment = { readonly kind: 'literal'; readonly text: string } | Parameter;

/**
 * Parses an ASP.NET route template. A leading `/` or `~/` and one trailing `/` are ignored.
 *
 * @throws RouteTemplateError for invalid syntax (unbalanced braces, empty or repeated parameter names, a
 *   catch-all before the last segment, `?` in a literal, ...) and for unknown constraints or bad arguments.
 */
export function parseRouteTemplate(template: string): RouteTemplate {
  const fail = (problem: string): never => {
    throw new RouteTemplateError(template, problem);
  };
  const text = template.replace(/^~?\//, '').replace(/\/$/, '');
  const segments = text === '' ? [] : splitSegments(text, fail).map((raw) => parseSegment(raw, fail));
  const names = new Set<string>();
  segments.forEach((segment, index) => {
    if (segment.kind === 'literal') return;
    const key = segment.name.toLowerCase();
    if (names.has(key)) fail(`the parameter '${segment.name}' appears more than once`);
    names.add(key);
    if (segment.catchAll && index !== segments.length - 1)
      fail(`the catch-all parameter '${segment.name}' must be the last segment`);
  });
  const precedence = segments.map(precedenceDigit);
  return { template, precedence, match: (path) => matchSegments(segments, splitPath(path)) };
}

/** Orders two templates as the host orders function routes: lower inbound precedence first. */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  // ComputeInbound adds digit / 10^i, so a missing segment counts as 0 (1.1 < 1.13).
  for (let i = 0; i < Math.max(a.precedence.length, b.precedence.length); i++) {
    const difference = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function precedenceDigit(segment: Segment): number {
  if (segment.kind === 'literal') return 1;
  const base = segment.catchAll ? 5 : 3;
  return segment.constraints.length > 0 ? base - 1 : base;
}

/** Splits on `/` outside braces, so a regex constraint may contain `/`. */
function splitSegments(text: string, fail: Fail): string[] {
  const segments: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '{' || char === '}') {
      if (text[i + 1] === char)
        i++; // `{{` and `}}` are escaped braces
      else depth = braceDepth(depth, char, i, fail);
    } else if (char === '/' && depth === 0) {
      segments.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) fail("a '{' has no closing '}'");
  return withLastSegment(segments, text.slice(start), fail);
}

/** The brace depth after an unescaped `char` (`{` or `}`) at `position`; fails unless it stays 0 or 1. */
function braceDepth(depth: number, char: string, position: number, fail: Fail): number {
  const next = depth + (char === '{' ? 1 : -1);
  if (next < 0 || next > 1) fail(`unbalanced '${char}' at position ${position}`);
  return next;
}

/** The segments with the last one added; fails if any is empty. */
function withLastSegment(segments: string[], last: string, fail: Fail): string[] {
  segments.push(last);
  if (segments.includes('')) fail("it contains an empty segment ('//')");
  return segments;
}

function parseSegment(raw: string, fail: Fail): Segment {
  const open = unescapedIndex(raw, '{', 0);
  if (open === -1) {
    if (raw.includes('?')) fail(`the literal segment '${raw}' contains '?'`);
    return { kind: 'literal', text: unescapeBraces(raw).toLowerCase() };
  }
  if (open !== 0 || unescapedIndex(raw, '}', 1) !== raw.length - 1) {
    fail(`the segment '${raw}' mixes literal text and parameters, which this local host does not support`);
  }
  return parseParameter(unescapeBraces(raw.slice(1, -1)), fail);
}

/** Index of the first `char` at or after `from` that is not half of an escaped pair (`{{`, `}}`), or -1. */
function unescapedIndex(raw: string, char: '{' | '}', from: number): number {
  for (let i = from; i < raw.length; i++) {
    if (raw[i] !== char) continue;
    if (raw[i + 1] !== char) return i;
    i++;
  }
  return -1;
}

function unescapeBraces(text: string): string {
  return text.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
}

function parseParameter(inner: string, fail: Fail): Parameter {
  const stars = /^\*{1,2}/.exec(inner)?.[0].length ?? 0;
  let rest = inner.slice(stars);
  const name = parameterName(rest, inner, fail);
  rest = rest.slice(name.length);
  const constraints: Test[] = [];
  while (rest.startsWith(':')) {
    const { test, length } = parseConstraint(rest.slice(1), fail);
    constraints.push(test);
    rest = rest.slice(1 + length);
  }
  const optional = rest === '?';
  const defaultValue = rest.startsWith('=') ? rest.slice(1) : undefined;
  if (!optional && defaultValue === undefined && rest !== '') fail(`'{${inner}}' has unexpected text '${rest}'`);
  if (optional && stars > 0) fail(`the catch-all parameter '${name}' cannot be marked optional`);
  return { kind: 'parameter', name, optional, catchAll: stars > 0, defaultValue, constraints };
}

/** The parameter name at the start of `rest` (the inside of `{inner}` past its stars); fails unless it is valid. */
function parameterName(rest: string, inner: string, fail: Fail): string {
  const nameEnd = rest.search(/[:=]|\?$/);
  const name = nameEnd === -1 ? rest : rest.slice(0, nameEnd);
  if (name === '' || /[{}/?*=:]/.test(name)) fail(`'{${inner}}' has an empty or invalid parameter name`);
  return name;
}

/** Reads `name` or `name(args)` from the start of `text`; args end at a `)` followed by `:`, `=`, `?` or the end. */
function parseConstraint(text: string, fail: Fail): { test: Test; length: number } {
  const name = /^[^:=?(]*/.exec(text)?.[0] ?? '';
  if (text[name.length] !== '(') return { test: makeConstraint(name, undefined, fail), length: name.length };
  const close = /\)(?=[:=]|\?$|$)/.exec(text.slice(name.length));
  if (!close) return fail(`the arguments of constraint '${name}' have no closing ')'`);
  const args = text.slice(name.length + 1, name.length + close.index);
  return { test: makeConstraint(name, args, fail), length: name.length + close.index + 1 };
}

// .NET's invariant-culture parsers accept surrounding white space (NumberStyles.Integer, Float, Number).
const WS = '[\\t\\n\\v\\f\\r ]*';
const INTEGER = new RegExp(`^${WS}[+-]?\\d+${WS}$`);
const FLOAT = new RegExp(
  `^${WS}[+-]?(?:\\d[\\d,]*(?:\\.\\d*)?|\\.\\d+)(?:[eE][+-]?\\d+)?${WS}$|^${WS}-?(?:NaN|Infinity)${WS}$`,
);
const NUMBER = new RegExp(`^${WS}(?:[+-]${WS})?(?:\\d[\\d,]*(?:\\.\\d*)?|\\.\\d+)(?:${WS}[+-])?${WS}$`);
const BOOLEAN = new RegExp(`^${WS}(?:true|false)${WS}$`, 'i');
const HEX_GUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
// Guid.TryParse formats N, D, B and P (not X).
const GUID = new RegExp(`^${WS}(?:[0-9a-f]{32}|${HEX_GUID}|\\{${HEX_GUID}\\}|\\(${HEX_GUID}\\))${WS}$`, 'i');
const INT32: Range = [-(2n ** 31n), 2n ** 31n - 1n];
const INT64: Range = [-(2n ** 63n), 2n ** 63n - 1n];
// .NET's decimal.MaxValue, 2^96 - 1; as a double it rounds to 2^96.
const DECIMAL_MAX = Number(2n ** 96n - 1n);

type Range = readonly [bigint, bigint];

/** What a constraint factory gets: its arguments, checked on request. */
interface ConstraintArguments {
  /** Fails unless the constraint was written without parentheses. */
  none(): void;
  /** Exactly `count` comma-separated integers, else fails. */
  integers(count: number): bigint[];
  /** The raw text between the parentheses. */
  readonly raw: string | undefined;
  readonly fail: Fail;
}

const inRange =
  ([low, high]: Range): Test =>
  (value) =>
    INTEGER.test(value) && BigInt(value.trim()) >= low && BigInt(value.trim()) <= high;
const longWhere =
  (check: (n: bigint) => boolean): Test =>
  (value) =>
    inRange(INT64)(value) && check(BigInt(value.trim()));
const lengthWhere =
  ([low, high]: Range): Test =>
  (value) =>
    BigInt(value.length) >= low && BigInt(value.length) <= high;
const withoutArguments =
  (test: Test) =>
  (args: ConstraintArguments): Test => {
    args.none();
    return test;
  };

function range(args: ConstraintArguments, count: 1 | 2): Range {
  const [low = 0n, high = low] = args.integers(count);
  if (low > high) args.fail('its minimum is greater than its maximum');
  return [low, high];
}

/** ASP.NET's default inline constraints (`RouteOptions.ConstraintMap`), by lower-case name. */
const CONSTRAINTS: Readonly<Record<string, (args: ConstraintArguments) => Test>> = {
  int: withoutArguments(inRange(INT32)),
  long: withoutArguments(inRange(INT64)),
  bool: withoutArguments((value) => BOOLEAN.test(value)),
  double: withoutArguments((value) => FLOAT.test(value)),
  float: withoutArguments((value) => FLOAT.test(value)),
  decimal: withoutArguments(
    (value) => NUMBER.test(value) && Math.abs(parseFloat(value.replace(/[\s,+]/g, ''))) <= DECIMAL_MAX,
  ),
  guid: withoutArguments((value) => GUID.test(value)),
  alpha: withoutArguments((value) => /^[a-z]*$/i.test(value)),
  required: withoutArguments((value) => value !== ''),
  minlength: (args) => lengthWhere([args.integers(1)[0] ?? 0n, BigInt(Number.MAX_SAFE_INTEGER)]),
  maxlength: (args) => lengthWhere([0n, args.integers(1)[0] ?? 0n]),
  length: (args) => lengthWhere(range(args, args.raw?.includes(',') === true ? 2 : 1)),
  min: (args) => {
    const [low = 0n] = args.integers(1);
    return longWhere((n) => n >= low);
  },
  max: (args) => {
    const [high = 0n] = args.integers(1);
    return longWhere((n) => n <= high);
  },
  range: (args) => {
    const [low, high] = range(args, 2);
    return longWhere((n) => n >= low && n <= high);
  },
  regex: regexConstraint,
};

/** ASP.NET constraints this host leaves out rather than approximate. */
const UNSUPPORTED = new Set(['datetime', 'file', 'nonfile']);

function makeConstraint(name: string, raw: string | undefined, fail: Fail): Test {
  const key = name.toLowerCase();
  const factory = CONSTRAINTS[key];
  if (!factory) {
    return fail(
      UNSUPPORTED.has(key)
        ? `the ASP.NET constraint '${name}' is not supported by this local host`
        : `unknown constraint '${name}'`,
    );
  }
  const failConstraint = (problem: string): never => fail(`constraint '${name}': ${problem}`);
  return factory({
    raw,
    fail: failConstraint,
    none: () => {
      if (raw !== undefined) failConstraint('it takes no arguments');
    },
    integers: (count) => {
      const parts = raw?.split(',').map((part) => part.trim()) ?? [];
      if (parts.length !== count || !parts.every((part) => /^[+-]?\d+$/.test(part))) {
        failConstraint(`it takes ${count} integer argument${count === 1 ? '' : 's'}, got '${raw ?? ''}'`);
      }
      return parts.map((part) => BigInt(part));
    },
  });
}

function regexConstraint(args: ConstraintArguments): Test {
  if (args.raw === undefined || args.raw === '') return args.fail('it needs a pattern');
  try {
    // RegexRouteConstraint uses IgnoreCase | CultureInvariant and is not anchored unless the pattern is.
    const pattern = new RegExp(args.raw, 'i');
    return (value) => pattern.test(value);
  } catch (error) {
    return args.fail(`its pattern is not a valid regular expression (${(error as Error).message})`);
  }
}

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\//, '').replace(/\/$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const values: Record<string, string> = {};
  for (const [index, segment] of segments.entries()) {
    const part = parts[index];
    if (segment.kind === 'literal') {
      if (part === undefined || decodeSegment(part).toLowerCase() !== segment.text) return undefined;
    } else if (segment.catchAll) {
      return bindCatchAll(values, segment, parts.slice(index)) ? values : undefined;
    } else if (!bindSegment(values, segment, part)) {
      return undefined;
    }
  }
  return parts.length > segments.length ? undefined : values;
}

/** Binds a catch-all parameter to the rest of the path (decoded segments joined with `/`). */
function bindCatchAll(values: Record<string, string>, parameter: Parameter, parts: readonly string[]): boolean {
  const rest = parts.map(decodeSegment).join('/');
  return bind(values, parameter, rest === '' ? undefined : rest);
}

/** Binds a parameter to one path segment, if there is one; an empty segment (`a//b`) matches no parameter. */
function bindSegment(values: Record<string, string>, parameter: Parameter, part: string | undefined): boolean {
  return part !== '' && bind(values, parameter, part === undefined ? undefined : decodeSegment(part));
}

/** Binds a parameter to `value`, or to its default when the path has no segment for it. */
function bind(values: Record<string, string>, parameter: Parameter, value: string | undefined): boolean {
  const bound = value ?? parameter.defaultValue;
  if (bound === undefined) return parameter.optional || parameter.catchAll;
  if (!parameter.constraints.every((test) => test(bound))) return false;
  values[parameter.name] = bound;
  return true;
}

/** Percent-decodes one path segment as Kestrel does: `%2F` stays encoded, malformed escapes stay as they are. */
function decodeSegment(segment: string): string {
  return segment.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) =>
    run
      .split(/(%2[fF])/)
      .map((piece, index) => (index % 2 === 1 ? piece : safeDecode(piece)))
      .join(''),
  );
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

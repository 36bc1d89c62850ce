import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

// A reader for this repo's own Bicep files, which are written in a regular shape (one declaration or key per line,
// as the Bicep formatter writes them). It parses what the infra checks need and fails loudly on anything it does not
// recognise, rather than skipping it. The Bicep compiler cannot run offline; the CI workflow compiles for real.

/** The repository's infra/ folder. */
export const INFRA_DIR = join(__dirname, '..', '..', 'infra');

/** The .bicep files under infra/, relative to it with `/` separators, sorted. */
export function bicepFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (entry.name.endsWith('.bicep'))
        files.push(relative(INFRA_DIR, join(dir, entry.name)).split(sep).join('/'));
    }
  };
  walk(INFRA_DIR);
  return files.sort();
}

/** The text of `infra/<file>`. */
export function readBicep(file: string): string {
  return readFileSync(join(INFRA_DIR, file), 'utf8');
}

/** A `resource <symbol> '<type>@<apiVersion>' [existing] = …` declaration. */
export interface ResourceDeclaration {
  readonly file: string;
  readonly symbol: string;
  readonly type: string;
  readonly apiVersion: string;
  readonly existing: boolean;
}

const RESOURCE_LINE = /^resource (\w+) '([\w.]+\/[\w./]+)@(\d{4}-\d{2}-\d{2}(?:-preview)?)'( existing)? = /;

/**
 * Every resource declaration of `file`.
 *
 * @throws Error naming the line when a line starts with `resource` but is not in the expected shape.
 */
export function resourceDeclarations(file: string): ResourceDeclaration[] {
  return readBicep(file)
    .split('\n')
    .filter((line) => line.startsWith('resource '))
    .map((line) => {
      const match = RESOURCE_LINE.exec(line);
      if (!match) throw new Error(`${file}: unrecognised resource declaration: ${line}`);
      const [, symbol, type, apiVersion, existing] = match as unknown as [
        string,
        string,
        string,
        string,
        string | undefined,
      ];
      return { file, symbol, type, apiVersion, existing: existing !== undefined };
    });
}

/** The `module <symbol> '<path>'` references of `file`. */
export function moduleReferences(file: string): { readonly symbol: string; readonly path: string }[] {
  return [...readBicep(file).matchAll(/^module (\w+) '([^']+)' = /gm)].map((match) => ({
    symbol: match[1] as string,
    path: match[2] as string,
  }));
}

/**
 * The keys and raw values of the object variable `var <name> = { … }` in `file`, written one `key: value` per line
 * two spaces in, closed by a `}` alone on a line. Comment lines are skipped.
 *
 * @throws Error when the variable is missing or a line inside is not in that shape.
 */
export function objectVariable(file: string, name: string): Map<string, string> {
  const lines = readBicep(file).split('\n');
  const start = lines.indexOf(`var ${name} = {`);
  if (start === -1) throw new Error(`${file}: no "var ${name} = {" line`);
  const entries = new Map<string, string>();
  for (const line of lines.slice(start + 1)) {
    if (line === '}') return entries;
    if (/^\s*\/\//.test(line)) continue;
    const match = /^ {2}([A-Za-z_]\w*|'[^']+'): (.+)$/.exec(line);
    if (!match) throw new Error(`${file}: var ${name}: unrecognised line: ${line}`);
    entries.set((match[1] as string).replace(/^'|'$/g, ''), match[2] as string);
  }
  throw new Error(`${file}: var ${name} is not closed`);
}

/** The items of the array variable `var <name> = [ … ]` in `file`, one per line, as written (identifiers, or quoted strings). */
export function arrayVariable(file: string, name: string): string[] {
  const lines = readBicep(file).split('\n');
  const start = lines.indexOf(`var ${name} = [`);
  if (start === -1) throw new Error(`${file}: no "var ${name} = [" line`);
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === ']') return items;
    const match = /^ {2}(\w+|'[^']*')$/.exec(line);
    if (!match) throw new Error(`${file}: var ${name}: unrecognised item: ${line}`);
    items.push(match[1] as string);
  }
  throw new Error(`${file}: var ${name} is not closed`);
}

/** The items of the string array variable `var <name> = [ … ]` in `file`. */
export function stringArrayVariable(file: string, name: string): string[] {
  return arrayVariable(file, name).map((item) => {
    if (!/^'.*'$/.test(item)) throw new Error(`${file}: var ${name}: ${item} is not a string`);
    return item.slice(1, -1);
  });
}

/** The value of `var <name> = '<text>'` in `file`. */
export function stringVariable(file: string, name: string): string {
  const match = new RegExp(`^var ${name} = '([^']*)'`, 'm').exec(readBicep(file));
  if (!match) throw new Error(`${file}: no "var ${name} = '…'" line`);
  return match[1] as string;
}

/** A GUID in a Bicep file, with the variable it is assigned to and the comment after it on that line. */
export interface GuidLiteral {
  readonly file: string;
  readonly guid: string;
  /** `var <name> = '<guid>' // <comment>`: the variable's name and the comment; undefined for a GUID anywhere else. */
  readonly variable: string | undefined;
  readonly comment: string | undefined;
}

/** Every GUID literal in `file`. */
export function guidLiterals(file: string): GuidLiteral[] {
  return readBicep(file)
    .split('\n')
    .flatMap((line) =>
      [...line.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi)].map((match) => {
        const declaration = /^var (\w+) = '([0-9a-f-]{36})' \/\/ (.+)$/i.exec(line);
        const own = declaration !== null && declaration[2] === match[0];
        return {
          file,
          guid: match[0],
          variable: own ? declaration[1] : undefined,
          comment: own ? declaration[3] : undefined,
        };
      }),
    );
}

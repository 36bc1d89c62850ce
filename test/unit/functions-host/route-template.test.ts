import {
  compareRoutePrecedence,
  parseRouteTemplate,
  RouteTemplateError,
} from '../../../dev/functions-host/route-template';

const match = (template: string, path: string): Record<string, string> | undefined =>
  parseRouteTemplate(template).match(path);

describe('parseRouteTemplate', () => {
  describe('literals and parameters', () => {
    it('matches literal segments ignoring case and binds nothing', () => {
      expect(match('api/Items/All', '/API/items/ALL')).toEqual({});
      expect(match('api/items', '/api/item')).toBeUndefined();
      expect(match('api/items', '/api/items/more')).toBeUndefined();
      expect(match('api/items', '/api')).toBeUndefined();
    });

    it('binds parameters by their template name, percent-decoded', () => {
      expect(match('items/{Id}/parts/{part}', '/items/a%20b/parts/%C3%A9')).toEqual({ Id: 'a b', part: 'é' });
    });

    it('keeps %2F encoded, leaves malformed escapes alone and compares literals after decoding', () => {
      expect(match('files/{name}', '/files/a%2Fb')).toEqual({ name: 'a%2Fb' });
      expect(match('files/{name}', '/files/100%')).toEqual({ name: '100%' });
      expect(match('files/{name}', '/files/%E0%A4')).toEqual({ name: '%E0%A4' });
      expect(match('files/list', '/files/l%69st')).toEqual({});
    });

    it('ignores one leading and one trailing slash on both template and path', () => {
      expect(match('/items/{id}/', 'items/7/')).toEqual({ id: '7' });
      expect(match('~/items', '/items')).toEqual({});
    });

    it('never binds an empty segment', () => {
      expect(match('items/{id}/x', '/items//x')).toBeUndefined();
      expect(match('items/{id}', '/items//')).toBeUndefined();
    });

    it('matches only the root path when the template is empty', () => {
      expect(match('', '/')).toEqual({});
      expect(match('', '')).toEqual({});
      expect(match('', '/x')).toBeUndefined();
    });

    it('treats doubled braces in a literal as escaped braces', () => {
      expect(match('a/{{b}}', '/a/%7Bb%7D')).toEqual({});
    });
  });

  describe('optional parameters and defaults', () => {
    it('leaves an optional parameter out when its segment is missing', () => {
      const template = parseRouteTemplate('items/{id?}');
      expect(template.match('/items')).toEqual({});
      expect(template.match('/items/3')).toEqual({ id: '3' });
      expect(template.match('/items/3/4')).toBeUndefined();
    });

    it('accepts several trailing optional parameters', () => {
      expect(match('a/{b?}/{c?}', '/a')).toEqual({});
      expect(match('a/{b?}/{c?}', '/a/1')).toEqual({ b: '1' });
      expect(match('a/{b?}/{c?}', '/a/1/2')).toEqual({ b: '1', c: '2' });
    });

    it('binds the default value when the segment is missing', () => {
      expect(match('page/{n:int=1}', '/page')).toEqual({ n: '1' });
      expect(match('page/{n:int=1}', '/page/5')).toEqual({ n: '5' });
      expect(match('page/{n:int=1}', '/page/x')).toBeUndefined();
    });

    it('applies the constraint of an optional parameter only when it has a value', () => {
      expect(match('items/{id:int?}', '/items')).toEqual({});
      expect(match('items/{id:int?}', '/items/12')).toEqual({ id: '12' });
      expect(match('items/{id:int?}', '/items/x')).toBeUndefined();
    });

    it('needs the segments before a missing optional parameter', () => {
      expect(match('{lang?}/home', '/home')).toBeUndefined();
      expect(match('{lang?}/home', '/en/home')).toEqual({ lang: 'en' });
    });
  });

  describe('catch-all', () => {
    it('binds the rest of the path, slashes included, decoded per segment', () => {
      expect(match('files/{*path}', '/files/a/b%20c/d.txt')).toEqual({ path: 'a/b c/d.txt' });
      expect(match('files/{**path}', '/files/x')).toEqual({ path: 'x' });
    });

    it('is absent when nothing is left, and matches then too', () => {
      expect(match('files/{*path}', '/files')).toEqual({});
      expect(match('files/{*path}', '/files/')).toEqual({});
      expect(match('files/{*path=index}', '/files')).toEqual({ path: 'index' });
    });

    it('applies its constraints to the whole rest', () => {
      expect(match('files/{*path:minlength(5)}', '/files/a/b')).toBeUndefined();
      expect(match('files/{*path:minlength(5)}', '/files/a/b/c')).toEqual({ path: 'a/b/c' });
    });
  });

  describe('constraints', () => {
    const accepts = (constraint: string, value: string): boolean =>
      match(`x/{v:${constraint}}`, `/x/${encodeURIComponent(value)}`) !== undefined;

    it('int accepts 32-bit integers with an optional sign and nothing else', () => {
      expect(['0', '42', '-7', '+7', '007', '2147483647', '-2147483648'].filter((v) => !accepts('int', v))).toEqual([]);
      expect(['2147483648', '-2147483649', '1.5', '1e3', 'x', '0x1A', '１'].filter((v) => accepts('int', v))).toEqual(
        [],
      );
    });

    it('long accepts 64-bit integers', () => {
      expect(accepts('long', '9223372036854775807')).toBe(true);
      expect(accepts('long', '9223372036854775808')).toBe(false);
    });

    it('alpha accepts ASCII letters only', () => {
      expect(accepts('alpha', 'AbcXyz')).toBe(true);
      expect(['abc1', 'é', 'a-b', 'a b'].filter((v) => accepts('alpha', v))).toEqual([]);
    });

    it('guid accepts the N, D, B and P formats in any case', () => {
      const d = '0f8fad5b-d9cb-469f-a165-70867728950e';
      expect([d, d.toUpperCase(), d.replace(/-/g, ''), `{${d}}`, `(${d})`].filter((v) => !accepts('guid', v))).toEqual(
        [],
      );
      expect([d.slice(1), `${d}0`, d.replace('0', 'g'), `{${d}`].filter((v) => accepts('guid', v))).toEqual([]);
    });

    it('bool accepts true and false in any case', () => {
      expect(['true', 'False', 'TRUE'].filter((v) => !accepts('bool', v))).toEqual([]);
      expect(['1', 'yes', 'truee'].filter((v) => accepts('bool', v))).toEqual([]);
    });

    it('double, float and decimal accept invariant-culture numbers', () => {
      expect(['1.5', '-0.25', '1e10', '.5', '1,000.5'].filter((v) => !accepts('double', v))).toEqual([]);
      expect(['1.5.5', 'e5', 'abc', ''].filter((v) => v !== '' && accepts('float', v))).toEqual([]);
      expect(accepts('decimal', '12.50')).toBe(true);
      expect(accepts('decimal', '1e10')).toBe(false);
    });

    it('minlength, maxlength and length count characters', () => {
      expect(accepts('minlength(3)', 'abc')).toBe(true);
      expect(accepts('minlength(3)', 'ab')).toBe(false);
      expect(accepts('maxlength(3)', 'abcd')).toBe(false);
      expect(accepts('length(2)', 'ab')).toBe(true);
      expect(accepts('length(2)', 'abc')).toBe(false);
      expect(accepts('length(2,4)', 'abcd')).toBe(true);
      expect(accepts('length(2,4)', 'a')).toBe(false);
    });

    it('min, max and range compare the value as a 64-bit integer', () => {
      expect(accepts('min(10)', '10')).toBe(true);
      expect(accepts('min(10)', '9')).toBe(false);
      expect(accepts('max(10)', '11')).toBe(false);
      expect(accepts('range(1,5)', '5')).toBe(true);
      expect(accepts('range(1,5)', '6')).toBe(false);
      expect(accepts('range(1,5)', 'three')).toBe(false);
    });

    it('regex matches ignoring case and unanchored unless the pattern is anchored', () => {
      expect(accepts('regex(^[a-z]{{2}}\\d+$)', 'AB12')).toBe(true);
      expect(accepts('regex(^[a-z]{{2}}\\d+$)', 'ABC12')).toBe(false);
      expect(accepts('regex(b)', 'abc')).toBe(true);
      expect(match('x/{v:regex(^(a|b)$)}', '/x/b')).toEqual({ v: 'b' });
    });

    it('chains constraints, all of which must hold', () => {
      expect(match('items/{id:int:min(1)}', '/items/1')).toEqual({ id: '1' });
      expect(match('items/{id:int:min(1)}', '/items/0')).toBeUndefined();
    });

    it('names constraints ignoring case', () => {
      expect(match('items/{id:INT}', '/items/4')).toEqual({ id: '4' });
    });
  });

  describe('invalid templates', () => {
    const problem = (template: string): string => {
      try {
        parseRouteTemplate(template);
      } catch (error) {
        expect(error).toBeInstanceOf(RouteTemplateError);
        expect(error).toMatchObject({ code: 'HOST_ROUTE_TEMPLATE_INVALID', template });
        return (error as Error).message;
      }
      throw new Error(`'${template}' was accepted`);
    };

    it.each([
      ['items/{id', "Invalid route template 'items/{id': a '{' has no closing '}'."],
      ['items/id}', "Invalid route template 'items/id}': unbalanced '}' at position 8."],
      ['items/{{id}', "Invalid route template 'items/{{id}': unbalanced '}' at position 10."],
      ['items/{a{b}}', "Invalid route template 'items/{a{b}}': unbalanced '{' at position 8."],
      ['items/{}', "Invalid route template 'items/{}': '{}' has an empty or invalid parameter name."],
      ['items/{a b?c}', "Invalid route template 'items/{a b?c}': '{a b?c}' has an empty or invalid parameter name."],
      ['a//b', "Invalid route template 'a//b': it contains an empty segment ('//')."],
      ['a/b?', "Invalid route template 'a/b?': the literal segment 'b?' contains '?'."],
      ['{id}/{ID}', "Invalid route template '{id}/{ID}': the parameter 'ID' appears more than once."],
      ['{*rest}/x', "Invalid route template '{*rest}/x': the catch-all parameter 'rest' must be the last segment."],
      ['x/{*rest?}', "Invalid route template 'x/{*rest?}': the catch-all parameter 'rest' cannot be marked optional."],
      [
        'files/{name}.{ext}',
        "Invalid route template 'files/{name}.{ext}': the segment '{name}.{ext}' mixes literal text and parameters, which this local host does not support.",
      ],
      [
        'v{n}',
        "Invalid route template 'v{n}': the segment 'v{n}' mixes literal text and parameters, which this local host does not support.",
      ],
      ['x/{id:integer}', "Invalid route template 'x/{id:integer}': unknown constraint 'integer'."],
      ['x/{id:}', "Invalid route template 'x/{id:}': unknown constraint ''."],
      [
        'x/{d:datetime}',
        "Invalid route template 'x/{d:datetime}': the ASP.NET constraint 'datetime' is not supported by this local host.",
      ],
      ['x/{id:int(3)}', "Invalid route template 'x/{id:int(3)}': constraint 'int': it takes no arguments."],
      ['x/{id:min}', "Invalid route template 'x/{id:min}': constraint 'min': it takes 1 integer argument, got ''."],
      [
        'x/{id:range(1)}',
        "Invalid route template 'x/{id:range(1)}': constraint 'range': it takes 2 integer arguments, got '1'.",
      ],
      [
        'x/{id:range(5,1)}',
        "Invalid route template 'x/{id:range(5,1)}': constraint 'range': its minimum is greater than its maximum.",
      ],
      [
        'x/{id:length(a)}',
        "Invalid route template 'x/{id:length(a)}': constraint 'length': it takes 1 integer argument, got 'a'.",
      ],
      [
        'x/{id:minlength(3}',
        "Invalid route template 'x/{id:minlength(3}': the arguments of constraint 'minlength' have no closing ')'.",
      ],
      ['x/{id:regex()}', "Invalid route template 'x/{id:regex()}': constraint 'regex': it needs a pattern."],
      [
        'x/{id:int}x',
        "Invalid route template 'x/{id:int}x': the segment '{id:int}x' mixes literal text and parameters, which this local host does not support.",
      ],
      ['x/{id:int?x}', "Invalid route template 'x/{id:int?x}': '{id:int?x}' has unexpected text '?x'."],
    ])('rejects %s, naming the template and the problem', (template, message) => {
      expect(problem(template)).toBe(message);
    });

    it('rejects a regex constraint whose pattern does not compile', () => {
      expect(problem('x/{id:regex(a[)}')).toMatch(
        /^Invalid route template 'x\/\{id:regex\(a\[\)\}': constraint 'regex': its pattern is not a valid regular expression \(.+\)\.$/,
      );
    });
  });

  describe('precedence', () => {
    const order = (...templates: string[]): string[] =>
      templates
        .map((template) => parseRouteTemplate(template))
        .sort(compareRoutePrecedence)
        .map(({ template }) => template);

    it('gives one ASP.NET inbound digit per segment', () => {
      expect(parseRouteTemplate('api/items/{id:int}/{name}/{*rest}').precedence).toEqual([1, 1, 2, 3, 5]);
      expect(parseRouteTemplate('api/{*rest:minlength(1)}').precedence).toEqual([1, 4]);
    });

    it('puts literals before constrained parameters, before parameters, before catch-alls', () => {
      expect(order('items/{*rest}', 'items/{id}', 'items/{id:int}', 'items/new')).toEqual([
        'items/new',
        'items/{id:int}',
        'items/{id}',
        'items/{*rest}',
      ]);
    });

    it('decides on the first differing segment, a shorter template first when one is a prefix of the other', () => {
      expect(order('{a}/b', 'a/{b}', 'a/{b}/c', 'a')).toEqual(['a', 'a/{b}', 'a/{b}/c', '{a}/b']);
    });

    it('keeps the given order when precedences are equal', () => {
      expect(order('x/{b}', 'x/{a}')).toEqual(['x/{b}', 'x/{a}']);
    });
  });
});

// A small SQL highlighter: enough of PostgreSQL's lexical rules to colour what the agent writes,
// tolerant of text cut anywhere (the SQL arrives token by token).

export type TokenKind = 'keyword' | 'function' | 'string' | 'number' | 'comment' | 'operator' | 'plain';
export interface SqlToken {
  kind: TokenKind;
  text: string;
}

const KEYWORDS = new Set(
  `select from where and or not in is null as on join left right inner outer full cross group by order
  having limit offset distinct case when then else end asc desc nulls first last with union all except
  intersect between like ilike similar interval true false filter over partition window rows range
  preceding following current row lateral using exists any some cast at time zone extract date
  timestamp timestamptz numeric integer bigint text boolean count`
    .split(/\s+/)
    .filter(Boolean),
);

const PATTERNS: [TokenKind, RegExp][] = [
  ['comment', /^--[^\n]*|^\/\*[\s\S]*?(?:\*\/|$)/],
  ['string', /^'(?:[^']|'')*(?:'|$)/],
  ['plain', /^"(?:[^"]|"")*(?:"|$)/], // quoted identifiers
  ['number', /^\d+(?:\.\d+)?(?:e[+-]?\d+)?/i],
  ['operator', /^(?:::|->>|->|<>|!=|<=|>=|\|\||[=<>+\-*/%])/],
  ['plain', /^[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/],
  ['plain', /^\s+/],
  ['plain', /^[\s\S]/],
];

export function tokenize(sql: string): SqlToken[] {
  const tokens: SqlToken[] = [];
  let rest = sql;
  while (rest.length > 0) {
    for (const [kind, pattern] of PATTERNS) {
      const match = pattern.exec(rest);
      if (!match) continue;
      const text = match[0];
      let finalKind = kind;
      if (kind === 'plain' && /^[A-Za-z_]/.test(text)) {
        const lower = text.toLowerCase();
        if (KEYWORDS.has(lower)) finalKind = 'keyword';
        else if (rest.slice(text.length).trimStart().startsWith('(')) finalKind = 'function';
      }
      const last = tokens[tokens.length - 1];
      if (last && last.kind === finalKind && finalKind === 'plain') last.text += text;
      else tokens.push({ kind: finalKind, text });
      rest = rest.slice(text.length);
      break;
    }
  }
  return tokens;
}

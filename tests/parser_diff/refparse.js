// Verdicts of the reference Flux parser (libflux in WebAssembly, @influxdata/flux-lsp-node).
// stdin: a JSON array of Flux sources. stdout: a JSON array of {ok, errors}, one per source.
//
// libflux is error-tolerant: it always returns an AST and records problems in it. A source
// is rejected when libflux's own ast check would report an error (`errors` on a node, a
// BadStatement, a BadExpression with text, a record mixing `a` and `a: x`, a string key
// without value), when an operator is <INVALID_OP> (two expressions side by side inside
// brackets, which libflux joins with an invalid operator and the type checker rejects), or
// when the WebAssembly module panics (it is then loaded anew).
const fs = require('fs');
const MODULE = require.resolve('@influxdata/flux-lsp-node');
let parse = require(MODULE).parse;

function reload() {
  for (const key of Object.keys(require.cache)) delete require.cache[key];
  parse = require(MODULE).parse;
}

function verdict(source) {
  let tree;
  try {
    tree = parse(source);
  } catch (e) {
    reload();
    return {ok: false, errors: ['panic: ' + e]};
  }
  const errors = [];
  const walk = (node) => {
    if (Array.isArray(node)) { node.forEach(walk); return; }
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node.errors)) for (const e of node.errors) errors.push(e.msg || String(e));
    if (node.type === 'BadStatement') errors.push('invalid statement: ' + node.text);
    if (node.type === 'BadExpression' && node.text) errors.push('invalid expression: ' + node.text);
    if (node.operator === '<INVALID_OP>') errors.push('invalid operator');
    if (node.type === 'ObjectExpression' && Array.isArray(node.properties)) {
      let shorthand = false, explicit = false;
      for (const p of node.properties) {
        if (p.errors && p.errors.length) continue;
        if (p.value === null || p.value === undefined) {
          shorthand = true;
          if (p.key && p.key.type === 'StringLiteral') errors.push('string key without value');
        } else explicit = true;
      }
      if (shorthand && explicit) errors.push('cannot mix implicit and explicit properties');
    }
    for (const key of Object.keys(node)) if (key !== 'location') walk(node[key]);
  };
  walk(tree);
  return {ok: errors.length === 0, errors};
}

const sources = JSON.parse(fs.readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(sources.map(verdict)));

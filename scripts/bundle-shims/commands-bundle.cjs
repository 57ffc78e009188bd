// The CLI's commands, bundled apart from its entry (scripts/bundle-cli.mjs): `ripcord --help` reads none of
// them, a command reads all of them once, through V8's code cache (src/cli/code-cache-require.ts).
'use strict';
const { join } = require('node:path');
const { codeCacheRequire } = require('../../dist/src/cli/code-cache-require.js');

let bundle;
exports.commandsBundle = () => {
  bundle ??= codeCacheRequire(join(__dirname, 'commands.cjs')).exports;
  return bundle;
};

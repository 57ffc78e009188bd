// Stands in for whatwg-url in the CLI bundle (scripts/bundle-cli.mjs). node-fetch 2 (client-node's HTTP client)
// imports it only as a fallback for runtimes without a global URL: `const URL = Url.URL || whatwgUrl.URL`
// (node-fetch/lib/index.js); Node 20's url module always has URL, so the fallback is never read. Bundled, it
// cost ~280 KB and its tr46 mapping table parsed at every start (issue 16).
'use strict';
module.exports = { URL: globalThis.URL, URLSearchParams: globalThis.URLSearchParams };

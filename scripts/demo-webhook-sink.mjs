// A local stand-in for a ticket system, for the demo only: receives Ripcord's generic JSON webhook
// (schema ripcord.notification/v1) and appends each message's text to the file named by argv[2].
// Prints its URL on stdout, then serves until killed.
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:http';

const out = process.argv[2];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    try {
      const m = JSON.parse(body);
      appendFileSync(out, `--- ${m.event} (${m.runId})\n${m.text}\n\n`);
      res.writeHead(200).end('ok');
    } catch {
      res.writeHead(400).end('invalid json');
    }
  });
});
server.listen(0, '127.0.0.1', () => console.log(`http://127.0.0.1:${server.address().port}/ripcord`));

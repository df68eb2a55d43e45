/**
 * The lab's alert sink: a tiny HTTP server on the lab router's address that appends every POST
 * body, as one JSON line with its arrival time and path, to a file. Started in the lab's
 * namespace by the lab; it ends by itself after --lifetime seconds or when the lab goes down.
 *   webhookReceiver.ts --listen 10.0.4.1:9099 --out /var/lib/iam-ha-lab/webhook.jsonl --lifetime 21600
 */
import * as fs from "fs";
import * as http from "http";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) throw new Error(`--${name} is required`);
  return args[i + 1];
};
const [host, port] = arg("listen").split(":");
const out = arg("out");
const MAX_BODY = 64 * 1024;

const server = http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => {
    body += chunk;
    if (body.length > MAX_BODY) req.destroy();
  });
  req.on("end", () => {
    // The path carries the webhook's token: the file is root's only.
    fs.appendFileSync(out, `${JSON.stringify({ at: Date.now(), path: req.url, body })}\n`, { mode: 0o600 });
    res.writeHead(200, { "Content-Type": "application/json" }).end('{"ok":true}');
  });
});
server.listen(Number(port), host);
setTimeout(() => process.exit(0), Number(arg("lifetime")) * 1000).unref();

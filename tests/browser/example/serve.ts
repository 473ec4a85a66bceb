// serve.ts: serves a folder on 127.0.0.1 with the two headers that give a page SharedArrayBuffer
import { createServer, type Server } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
};

export function serve(root: string, port = 8000): Server {
  return createServer(async (req, res) => {
    // normalize() of an absolute path never climbs above "/": nothing outside `root` is served.
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://127.0.0.1").pathname));
    const file = join(root, path.endsWith("/") ? `${path}index.html` : path);
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        "Content-Type": `${TYPES[extname(file)] ?? "application/octet-stream"}; charset=utf-8`,
        "Cross-Origin-Opener-Policy": "same-origin",
        "Cross-Origin-Embedder-Policy": "require-corp",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  }).listen(port, "127.0.0.1");
}

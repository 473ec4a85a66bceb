/** Sends every message received on `there` back on `back`, then closes `back` (the npm build's Channel). */
export default function echo(there, back) {
  for (const m of there) back.send(m, { timeout: 30000 });
  back.close();
}

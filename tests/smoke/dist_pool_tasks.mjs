// Tasks for the dist Pool smoke test (plain JavaScript: the machine's Node 20 runs it).
export const add = (a, b) => a + b;
export const square = (x) => x * x;
export function exit(code) {
  process.exit(code);
}

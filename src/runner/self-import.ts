// Lets user files outside the repository import the public entries as 'rulebench' and
// 'rulebench/<subpath>': registers the resolve hook once per thread (worker threads register their own).
import { register } from 'node:module';

let registered = false;

export function allowSelfImport(): void {
  if (registered) return;
  registered = true;
  register(new URL('./self-import-hook.mjs', import.meta.url));
}

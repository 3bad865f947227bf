// Worker threads start as plain JavaScript: register tsx's TypeScript loader, then load the worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');

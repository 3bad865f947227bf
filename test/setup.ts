// Every test file runs on the backend RULEBENCH_BACKEND selects (default: the WASM one), so the
// suite passes on both: `RULEBENCH_BACKEND=reference npm test` runs it on the oracle.
import { useBackendFromEnv } from '../src/kernels/select.ts';

await useBackendFromEnv();

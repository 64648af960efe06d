// Bootstrap of the analysis worker thread. Worker threads do not inherit
// the tsx loader of the main thread, so this plain JavaScript file
// registers it, then loads the TypeScript that does the work.
import { register } from 'tsx/esm/api';

register();
await import('./analysis.ts');

// The renderer's public face, for the CLI: `workbook render` and `workbook serve`.
export { WorkbookError } from '../errors.ts';
export { renderSite } from './write.ts';
export { serveSite, DEFAULT_PORT } from './serve.ts';
export { buildSite } from './site.ts';

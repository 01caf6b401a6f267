// Preload with `--import`: appends the URL of every ES module the process loads, one a line, to
// the file named by RECORD_LOADED_MODULES_TO, so a test can see which modules a process needed.
// Plain JavaScript: a preload is loaded before any of the service's modules.
import { register } from 'node:module';

const file = process.env.RECORD_LOADED_MODULES_TO;
if (file === undefined) throw new Error('RECORD_LOADED_MODULES_TO names no file to record into');
register('./record-loaded-modules-hooks.mjs', import.meta.url, { data: { file } });

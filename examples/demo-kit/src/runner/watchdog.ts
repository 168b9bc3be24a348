/**
 * Preloaded into the collector (`node --import …/watchdog.js sightline.js collector`): the
 * runner keeps the collector's stdin open, so when the runner is gone, however it went, the
 * collector is told to stop (SIGTERM: it writes its queue out and exits).
 */
import { watchParent } from '../lifecycle.js';

watchParent(() => process.kill(process.pid, 'SIGTERM'));

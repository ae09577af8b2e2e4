/** The `<script>` build: `window.LoglensExporter.LogCollector`. */
import { LogCollector } from './browser.js';

(globalThis as unknown as { LoglensExporter: unknown }).LoglensExporter = { LogCollector };

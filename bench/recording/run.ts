/** `node --import tsx bench/recording/run.ts [--quick]`: the recording benchmark alone, figures as JSON at the end. */
import { runRecordingBench } from '../recording.js';

const result = await runRecordingBench({ quick: process.argv.includes('--quick') });
console.log(JSON.stringify(result, null, 2));

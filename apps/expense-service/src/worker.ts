import { runWorker } from '@tally/service-kit';
import { expenseWorkerOptions } from './worker-options';

/** `node dist/apps/expense-service/src/worker.js`: the expense-worker process (see worker-options.ts). */
runWorker(expenseWorkerOptions);

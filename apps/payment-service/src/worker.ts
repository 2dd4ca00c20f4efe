import { runWorker } from '@tally/service-kit';
import { paymentWorkerOptions } from './worker-options';

/** `node dist/apps/payment-service/src/worker.js`: the payment-worker process (see worker-options.ts). */
runWorker(paymentWorkerOptions);

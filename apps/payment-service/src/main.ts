import { runHttpService } from '@tally/service-kit';
import { AppModule } from './app.module';
import { SERVICE_NAME, createRuntime } from './runtime';

// rawBody: provider webhooks (POST /webhooks/:provider) are verified over the exact bytes they were signed over.
runHttpService(SERVICE_NAME, () => createRuntime(), (runtime) => AppModule.forRoot(runtime), { rawBody: true });

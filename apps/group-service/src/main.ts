import { runHttpService } from '@tally/service-kit';
import { AppModule } from './app.module';
import { SERVICE_NAME, createRuntime } from './runtime';

runHttpService(SERVICE_NAME, () => createRuntime(), (runtime) => AppModule.forRoot(runtime));

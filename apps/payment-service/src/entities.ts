import { identityEntities } from '@tally/identity';
import { PaymentMethod } from './payment-methods/payment-method.entity';
import { Settlement } from './settlements/settlement.entity';

/** payment-service's entities (the API and payment-worker share them). */
export const entities: Function[] = [PaymentMethod, Settlement, ...identityEntities];

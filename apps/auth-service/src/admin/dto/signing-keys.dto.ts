import { IsUUID } from 'class-validator';

export class SigningKeyParams {
  /** Every kid auth mints is a UUID. */
  @IsUUID('all', { message: 'kid must be a UUID' })
  kid!: string;
}

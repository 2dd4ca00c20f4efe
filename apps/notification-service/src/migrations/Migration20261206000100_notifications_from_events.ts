import { Migration } from '@mikro-orm/migrations';

/**
 * The seed's `notification_preferences` and `notification_templates`, and what notifications from
 * every domain event need beyond the seed:
 * - `notifications.source_event_id`: the event a notification came from; UNIQUE with the recipient,
 *   so an event delivered any number of times produces each person's notification once;
 * - `notification_preferences`: per user and type; `quiet_hours_*` are wall-clock times in the
 *   user's time zone (the users projection has it); `delivery_methods` a JSON array of channels;
 *   `frequency_limit` immediate / hourly / daily / weekly (the waiting ones go out as one digest);
 * - `notification_templates`: per type, channel (email, push, sms) and language, the seed's UNIQUE
 *   (`notification_type`, `template_type`, `language`) and UNIQUE `name`.
 */
export class Migration20261206000100_notifications_from_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`ALTER TABLE notifications ADD COLUMN source_event_id UUID`);
    this.addSql(`CREATE UNIQUE INDEX uq_notification_event_recipient ON notifications (source_event_id, user_id) WHERE source_event_id IS NOT NULL`);

    this.addSql(`CREATE TABLE notification_preferences (
      id UUID PRIMARY KEY,
      user_id UUID NOT NULL,
      notification_type VARCHAR(30) NOT NULL CHECK (notification_type ~ '^[a-z][a-z0-9_]*$'),
      is_enabled BOOLEAN NOT NULL DEFAULT TRUE,
      delivery_methods JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(delivery_methods) = 'array'),
      quiet_hours_start TIME,
      quiet_hours_end TIME,
      frequency_limit VARCHAR(20) NOT NULL DEFAULT 'immediate' CHECK (frequency_limit IN ('immediate', 'hourly', 'daily', 'weekly')),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT uq_notification_preference UNIQUE (user_id, notification_type),
      CONSTRAINT check_quiet_hours CHECK ((quiet_hours_start IS NULL) = (quiet_hours_end IS NULL))
    )`);

    this.addSql(`CREATE TABLE notification_templates (
      id UUID PRIMARY KEY,
      name VARCHAR(100) NOT NULL,
      notification_type VARCHAR(30) NOT NULL CHECK (notification_type ~ '^[a-z][a-z0-9_]*$'),
      template_type VARCHAR(10) NOT NULL CHECK (template_type IN ('email', 'push', 'sms')),
      subject VARCHAR(200),
      body TEXT NOT NULL,
      variables JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(variables) = 'object'),
      is_active BOOLEAN NOT NULL DEFAULT TRUE,
      language VARCHAR(10) NOT NULL DEFAULT 'en' CHECK (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
      created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
      CONSTRAINT uq_notification_template_name UNIQUE (name),
      CONSTRAINT uq_notification_template UNIQUE (notification_type, template_type, language),
      CONSTRAINT check_email_subject CHECK (template_type <> 'email' OR subject IS NOT NULL)
    )`);
  }
}

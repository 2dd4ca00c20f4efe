import { Migration } from '@mikro-orm/migrations';
import { defaultTemplates } from '../templates/default-templates.data';

const q = (s: string | null) => (s === null ? 'NULL' : `'${s.replace(/'/g, "''")}'`);

/**
 * The default English email, push and SMS template of every notification type users receive, with
 * fixed ids (from their names). A migration rather than seeding at every start: it runs once, under
 * the migration lock, in whichever of notification-service and notification-worker starts first, so
 * both find the same rows with nothing on their boot path; and an admin's later edit is never put
 * back. ON CONFLICT DO NOTHING: a template already there (by id, name or type/channel/language) stays
 * as it is, so a later migration for new types can run the same insert.
 */
export class Migration20261206000500_notification_template_defaults extends Migration {
  override async up(): Promise<void> {
    for (const t of defaultTemplates()) {
      this.addSql(
        `INSERT INTO notification_templates (id, name, notification_type, template_type, subject, body, variables, is_active, language)
         VALUES (${q(t.id)}, ${q(t.name)}, ${q(t.notificationType)}, ${q(t.channel)}, ${q(t.subject)}, ${q(t.body)}, ${q(JSON.stringify(t.variables))}::jsonb, TRUE, ${q(t.language)})
         ON CONFLICT DO NOTHING`,
      );
    }
  }
}

/** The e-mail of one alert: Russian plain text (mail clients show it as is; no tracking, no images). */
import type { AlertsTable } from '../storage/schema.js';
import { kindName, SEVERITY_TEXT } from './kinds.js';

export function alertEmail(
  a: AlertsTable & { institution_name?: string | null },
  publicUrl: string,
): { subject: string; text: string } {
  let evidence: Record<string, unknown> = {};
  try {
    const v: unknown = JSON.parse(a.evidence);
    if (v && typeof v === 'object' && !Array.isArray(v)) evidence = v as Record<string, unknown>;
  } catch {
    // shown without evidence
  }
  const lines = [
    a.title,
    '',
    a.body,
    '',
    `Важность: ${SEVERITY_TEXT[a.severity]}`,
    `Вид: ${kindName(a.kind)} (${a.kind})`,
    ...(a.institution_name ? [`Учреждение: ${a.institution_name}`] : []),
    `Время: ${a.created_at}`,
  ];
  const facts = Object.entries(evidence);
  if (facts.length > 0) {
    lines.push('', 'Подробности:');
    for (const [k, v] of facts) lines.push(`  ${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
  }
  lines.push(
    '',
    `Открыть в Окне: ${publicUrl}/notifications/${a.id}`,
    `Настроить уведомления: ${publicUrl}/notifications/settings`,
  );
  const prefix = a.severity === 'critical' ? '[Окно, критично]' : '[Окно]';
  return { subject: `${prefix} ${a.title}`.slice(0, 200), text: lines.join('\n') };
}

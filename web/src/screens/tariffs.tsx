/** Placeholder for the billing work: tariffs will live here. */
import { useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { EmptyState, PageHeader, ButtonLink } from '../ui.js';

export function Tariffs() {
  const { t } = useI18n();
  useTitle(t('tariffs.title'));
  return (
    <div class="page">
      <PageHeader title={t('tariffs.title')} />
      <EmptyState
        icon="clock"
        title={t('tariffs.title')}
        action={
          <ButtonLink href="/admin" variant="secondary">
            {t('nav.admin')}
          </ButtonLink>
        }
      >
        {t('tariffs.lead')}
      </EmptyState>
    </div>
  );
}

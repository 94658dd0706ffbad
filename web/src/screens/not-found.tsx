import { useTitle } from '../hooks.js';
import { useI18n } from '../i18n.js';
import { ButtonLink, EmptyState } from '../ui.js';

export function NotFound() {
  const { t } = useI18n();
  useTitle(t('notFound.title'));
  return (
    <div class="page">
      <EmptyState
        icon="alert"
        title={<span tabIndex={-1}>{t('notFound.title')}</span>}
        action={
          <ButtonLink href="/" variant="primary">
            {t('notFound.home')}
          </ButtonLink>
        }
      >
        {t('notFound.text')}
      </EmptyState>
    </div>
  );
}

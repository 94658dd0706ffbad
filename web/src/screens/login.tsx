/** The login screen: one button to the government portal (through Okno's OpenID Connect login). */
import { api } from '../api.js';
import { useTitle } from '../hooks.js';
import { Icon, Logo } from '../icons.js';
import { useI18n } from '../i18n.js';
import { currentPathWithQuery } from '../router.js';
import { Notice } from '../ui.js';
import { LangSwitch } from '../shell.js';

export function Login({ sessionEnded }: { sessionEnded: boolean }) {
  const { t } = useI18n();
  useTitle(t('login.title'));
  const returnTo = currentPathWithQuery();
  return (
    <div class="login">
      <div class="login-top">
        <LangSwitch />
      </div>
      <main id="main" class="login-card">
        <div class="login-brand">
          <Logo size={48} />
          <span class="login-name">{t('app.name')}</span>
        </div>
        <h1>{t('login.title')}</h1>
        <p class="lead">{t('login.lead')}</p>
        {sessionEnded ? (
          <Notice tone="warn" icon="clock" live>
            <p>{t('login.sessionEnded')}</p>
          </Notice>
        ) : null}
        <a class="btn btn-primary btn-large" href={api.loginUrl(returnTo === '/' ? '/' : returnTo)}>
          <Icon name="shield" size={20} />
          <span>{t('login.button')}</span>
        </a>
        <p class="muted small">{t('login.staff')}</p>
        <div class="login-privacy">
          <Icon name="lock" size={18} />
          <p class="small">{t('login.privacy')}</p>
        </div>
      </main>
    </div>
  );
}

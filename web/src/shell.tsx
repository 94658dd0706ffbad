/** The frame around every screen: header with the product mark, sections, language and logout. */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { api } from './api.js';
import { Icon, Logo } from './icons.js';
import { LANGS, useI18n } from './i18n.js';
import { Link } from './router.js';
import { isParent, sectionsFor, useMe } from './session.js';
import { Bell, mayReadAlerts } from './alerts/bell.js';

export function LangSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div class="lang-switch" role="group" aria-label={t('lang.switch')}>
      {LANGS.map((l) => (
        <button
          key={l}
          type="button"
          class="lang-option"
          aria-pressed={lang === l}
          lang={l}
          title={t(l === 'ru' ? 'lang.ru' : 'lang.en')}
          onClick={() => setLang(l)}
        >
          {l.toUpperCase()}
        </button>
      ))}
    </div>
  );
}

export function Shell({ path, children }: { path: string; children: ComponentChildren }) {
  const { t } = useI18n();
  const me = useMe();
  const sections = sectionsFor(me);
  const [leaving, setLeaving] = useState(false);
  const logout = () => {
    setLeaving(true);
    api.logout().then(
      (to) => window.location.assign(to),
      () => window.location.assign('/'),
    );
  };
  const showNav = sections.length > 1 || !isParent(me);
  const active = sections
    .filter((s) => path === s.path || path.startsWith(`${s.path}/`))
    .sort((a, b) => b.path.length - a.path.length)[0]?.path;
  return (
    <div class={`shell${isParent(me) ? ' shell-parent' : ' shell-staff'}`}>
      <a class="skip-link" href="#main">
        {t('app.skip')}
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <Link href="/" class="brand">
            <Logo />
            <span class="brand-name">{t('app.name')}</span>
          </Link>
          {showNav ? (
            <nav class="mainnav" aria-label={t('nav.main')}>
              <ul>
                {sections.map((s) => (
                  <li key={s.path}>
                    <Link href={s.path} aria-current={active === s.path ? 'page' : undefined}>
                      {t(s.label)}
                    </Link>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <div class="topbar-tools">
            {mayReadAlerts(me) ? <Bell /> : null}
            <LangSwitch />
            <span class="account-name" title={t('nav.account')}>
              {me.person.displayName}
            </span>
            <button
              type="button"
              class="icon-button"
              onClick={logout}
              disabled={leaving}
              aria-label={t('nav.logout')}
              title={t('nav.logout')}
            >
              <Icon name="logout" size={20} />
            </button>
          </div>
        </div>
      </header>
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}

/** The app's building blocks: buttons, fields, badges, page headers, empty and error states. */
import type { ComponentChildren, ButtonHTMLAttributes } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { ApiError } from './api.js';
import { Icon, type IconName } from './icons.js';
import { isMessageKey, useI18n, type MessageKey, type Translate } from './i18n.js';
import { Link } from './router.js';

type ButtonVariant = 'primary' | 'secondary' | 'ghost' | 'danger';

export function Button({
  variant = 'secondary',
  busy = false,
  icon,
  children,
  class: cls,
  type = 'button',
  disabled,
  ...rest
}: Omit<ButtonHTMLAttributes<HTMLButtonElement>, 'class'> & {
  class?: string;
  variant?: ButtonVariant;
  busy?: boolean;
  icon?: IconName;
}) {
  return (
    <button
      type={type}
      class={`btn btn-${variant}${cls ? ` ${cls}` : ''}`}
      disabled={Boolean(disabled) || busy}
      aria-busy={busy ? 'true' : undefined}
      {...rest}
    >
      {busy ? <Spinner small /> : icon ? <Icon name={icon} size={18} /> : null}
      <span>{children}</span>
    </button>
  );
}

export function ButtonLink({
  href,
  variant = 'secondary',
  icon,
  children,
  state,
}: {
  href: string;
  variant?: ButtonVariant;
  icon?: IconName;
  children: ComponentChildren;
  state?: unknown;
}) {
  return (
    <Link href={href} state={state} class={`btn btn-${variant}`}>
      {icon ? <Icon name={icon} size={18} /> : null}
      <span>{children}</span>
    </Link>
  );
}

export function Spinner({ small = false, label }: { small?: boolean; label?: string }) {
  return (
    <span
      class={`spinner${small ? ' spinner-small' : ''}`}
      role={label ? 'status' : undefined}
      aria-label={label}
      aria-hidden={label ? undefined : 'true'}
    />
  );
}

export function Loading() {
  const { t } = useI18n();
  return (
    <div class="loading" role="status">
      <Spinner />
      <span>{t('common.loading')}</span>
    </div>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'neutral';

export function Badge({
  tone = 'neutral',
  children,
  dot = false,
}: {
  tone?: Tone;
  children: ComponentChildren;
  dot?: boolean;
}) {
  return (
    <span class={`badge badge-${tone}`}>
      {dot ? <span class="badge-dot" aria-hidden="true" /> : null}
      {children}
    </span>
  );
}

export function Notice({
  tone = 'info',
  icon,
  title,
  children,
  live = false,
}: {
  tone?: Tone;
  icon?: IconName;
  title?: ComponentChildren;
  children?: ComponentChildren;
  live?: boolean;
}) {
  return (
    <div class={`notice notice-${tone}`} role={live ? (tone === 'bad' ? 'alert' : 'status') : undefined}>
      {icon ? <Icon name={icon} size={20} class="notice-icon" /> : null}
      <div class="notice-body">
        {title ? <p class="notice-title">{title}</p> : null}
        {children}
      </div>
    </div>
  );
}

/** The page's heading; it takes focus after navigation so screen readers announce the new page. */
export function PageHeader({
  title,
  lead,
  actions,
  back,
}: {
  title: ComponentChildren;
  lead?: ComponentChildren;
  actions?: ComponentChildren;
  back?: { href: string; label: string };
}) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (document.activeElement === document.body || document.activeElement === null) ref.current?.focus();
  }, []);
  return (
    <header class="page-header">
      {back ? (
        <Link href={back.href} class="back-link">
          <Icon name="back" size={18} />
          <span>{back.label}</span>
        </Link>
      ) : null}
      <div class="page-header-row">
        <div class="page-header-text">
          <h1 tabIndex={-1} ref={ref}>
            {title}
          </h1>
          {lead ? <p class="lead">{lead}</p> : null}
        </div>
        {actions ? <div class="page-actions">{actions}</div> : null}
      </div>
    </header>
  );
}

export function EmptyState({
  icon = 'camera',
  title,
  children,
  action,
}: {
  icon?: IconName;
  title: ComponentChildren;
  children?: ComponentChildren;
  action?: ComponentChildren;
}) {
  return (
    <div class="empty">
      <div class="empty-icon">
        <Icon name={icon} size={32} />
      </div>
      <h2>{title}</h2>
      {children ? <p>{children}</p> : null}
      {action}
    </div>
  );
}

export function errorMessage(error: unknown, t: Translate): string {
  if (error instanceof ApiError) {
    // A camera probe's outcome in the viewer's language (the server's message is for the log).
    const probeKey = `probeError.${error.code}`;
    if (isMessageKey(probeKey)) return t(probeKey);
    if (error.status === 0) return t('error.network');
    if (error.status === 403)
      return error.message && error.code !== 'forbidden' ? error.message : t('error.forbidden');
    if (error.status === 404)
      return error.code === 'not_found' && /no route/.test(error.message)
        ? t('error.notReady')
        : t('error.notFound');
    if (error.status === 400 || error.status === 422) return error.message || t('error.validation');
    if (error.status >= 500) return t('error.server');
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const { t } = useI18n();
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div class="error-state" role="alert">
      <Icon name={error instanceof ApiError && error.status === 0 ? 'offline' : 'alert'} size={28} />
      <div>
        <h2>{t('error.title')}</h2>
        <p>{errorMessage(error, t)}</p>
        {code ? <p class="muted small">{t('error.code', { code })}</p> : null}
        {onRetry ? (
          <Button icon="refresh" onClick={onRetry}>
            {t('common.retry')}
          </Button>
        ) : null}
      </div>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------
// Form fields: every control has a visible label, hints and errors are tied by aria-describedby.

interface FieldBase {
  label: ComponentChildren;
  hint?: ComponentChildren;
  error?: string | null;
  required?: boolean;
  class?: string;
}

function FieldShell({
  id,
  label,
  hint,
  error,
  required,
  class: cls,
  children,
}: FieldBase & { id: string; children: ComponentChildren }) {
  const { t } = useI18n();
  return (
    <div class={`field${error ? ' field-invalid' : ''}${cls ? ` ${cls}` : ''}`}>
      <label for={id}>
        {label}
        {required ? <span class="sr-only"> ({t('common.required')})</span> : null}
      </label>
      {children}
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {error ? (
        <p class="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

function describedBy(id: string, hint: unknown, error: unknown): string | undefined {
  const ids = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

export function TextField({
  label,
  hint,
  error,
  required,
  class: cls,
  value,
  onValue,
  type = 'text',
  ...input
}: FieldBase & {
  value: string;
  onValue: (v: string) => void;
  type?: 'text' | 'url' | 'password' | 'date' | 'time' | 'datetime-local' | 'number' | 'search' | 'email';
  inputMode?: 'text' | 'decimal' | 'numeric' | 'url' | 'search' | 'email';
  autoComplete?: string;
  spellcheck?: boolean;
  max?: string;
  min?: string;
  list?: string;
  disabled?: boolean;
  placeholder?: string;
}) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required} class={cls}>
      <input
        id={id}
        // Preact types <input> as a union by `type`; every type allowed above takes these attributes.
        // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
        type={type as 'text'}
        value={value}
        required={required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, hint, error)}
        onInput={(e) => onValue(e.currentTarget.value)}
        {...input}
      />
    </FieldShell>
  );
}

export function TextArea({
  label,
  hint,
  error,
  required,
  class: cls,
  value,
  onValue,
  rows = 4,
}: FieldBase & { value: string; onValue: (v: string) => void; rows?: number }) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required} class={cls}>
      <textarea
        id={id}
        rows={rows}
        value={value}
        required={required}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={describedBy(id, hint, error)}
        onInput={(e) => onValue(e.currentTarget.value)}
      />
    </FieldShell>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function SelectField({
  label,
  hint,
  error,
  required,
  class: cls,
  value,
  onValue,
  options,
}: FieldBase & { value: string; onValue: (v: string) => void; options: readonly Option[] }) {
  const id = useId();
  return (
    <FieldShell id={id} label={label} hint={hint} error={error} required={required} class={cls}>
      <select
        id={id}
        value={value}
        required={required}
        aria-describedby={describedBy(id, hint, error)}
        onChange={(e) => onValue(e.currentTarget.value)}
      >
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </FieldShell>
  );
}

export function CheckboxField({
  label,
  hint,
  checked,
  onChecked,
}: {
  label: ComponentChildren;
  hint?: ComponentChildren;
  checked: boolean;
  onChecked: (v: boolean) => void;
}) {
  const id = useId();
  return (
    <div class="check">
      <input
        id={id}
        type="checkbox"
        checked={checked}
        aria-describedby={hint ? `${id}-hint` : undefined}
        onChange={(e) => onChecked(e.currentTarget.checked)}
      />
      <label for={id}>{label}</label>
      {hint ? (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

export function RadioGroup({
  legend,
  name,
  value,
  onValue,
  options,
}: {
  legend: ComponentChildren;
  name: string;
  value: string;
  onValue: (v: string) => void;
  options: readonly Option[];
}) {
  return (
    <fieldset class="radio-group">
      <legend>{legend}</legend>
      <div class="radio-options">
        {options.map((o) => (
          <label key={o.value} class="radio">
            <input
              type="radio"
              name={name}
              value={o.value}
              checked={value === o.value}
              onChange={() => onValue(o.value)}
            />
            <span>{o.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}

/** A row of tabs that are links (each tab is a URL). */
export function TabNav({
  label,
  tabs,
  active,
}: {
  label: string;
  tabs: readonly { href: string; label: MessageKey; id: string }[];
  active: string;
}) {
  const { t } = useI18n();
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    // On a phone the active tab may sit off screen in the scrolling row: bring it into view.
    const el = ref.current?.querySelector<HTMLElement>('[aria-current="page"]');
    const nav = ref.current;
    if (el && nav && nav.scrollWidth > nav.clientWidth)
      nav.scrollLeft +=
        el.getBoundingClientRect().left -
        nav.getBoundingClientRect().left -
        (nav.clientWidth - el.offsetWidth) / 2;
  }, [active]);
  return (
    <nav class="tabs" aria-label={label} ref={ref}>
      <ul>
        {tabs.map((tab) => (
          <li key={tab.id}>
            <Link href={tab.href} aria-current={tab.id === active ? 'page' : undefined} class="tab">
              {t(tab.label)}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function Card({ children, class: cls }: { children: ComponentChildren; class?: string }) {
  return <section class={`card${cls ? ` ${cls}` : ''}`}>{children}</section>;
}

/** Definition list of label/value pairs. */
export function Facts({ items }: { items: readonly [ComponentChildren, ComponentChildren][] }) {
  return (
    <dl class="facts">
      {items.map(([k, v], i) => (
        <div key={i} class="fact">
          <dt>{k}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

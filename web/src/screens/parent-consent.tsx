/**
 * The consent question on the parent's home: the kindergarten asks each family of a group whether the
 * group's camera may be shown to its parents. The parent answers for their child, sees the text they
 * answer to (with its version), their answer and the group's state in plain words («Ждём ответа 3
 * семей», «Согласие отозвано») — never other families' names.
 */
import { useState } from 'preact/hooks';
import '../consent.css';
import { consentApi, type ConsentAnswer, type ConsentOutcome, type ParentConsent } from '../api-consent.js';
import { formatDateTime } from '../format.js';
import { useAsync } from '../hooks.js';
import { useI18n, type Translate } from '../i18n.js';
import { Badge, Button, Notice, errorMessage, type Tone } from '../ui.js';

let cached: Promise<ParentConsent[]> | null = null;

/** One request for all children of the page; dropped after an answer. */
function parentConsents(): Promise<ParentConsent[]> {
  cached ??= consentApi.parentConsents().then(
    (r) => r.items,
    (e: unknown) => {
      cached = null;
      throw e;
    },
  );
  return cached;
}

export function forgetParentConsents(): void {
  cached = null;
}

/** The group's state in the words a parent reads. */
export function consentStateText(o: ConsentOutcome, t: Translate): string {
  if (o.met) return t('consent.state.met');
  switch (o.reason) {
    case 'waiting': {
      const n = o.missingAgreements;
      if (o.groupConsent === 'withdrawn' && n > 0 && o.pending === 0) return t('consent.state.withdrawn');
      return n === 1 ? t('consent.state.waitingOne') : t('consent.state.waiting', { n });
    }
    case 'family_objection':
    case 'staff_objection':
    case 'no_families':
      return t(`consent.state.${o.reason}`);
    case 'met':
      return t('consent.state.met');
  }
}

export function consentTone(o: ConsentOutcome): Tone {
  return o.met ? 'ok' : o.reason === 'waiting' ? 'warn' : 'bad';
}

/** Whether a child's group has a campaign (then the question card says everything about consent). */
export function useChildConsent(childId: string): [ParentConsent | null | undefined, () => void] {
  const [state, reload] = useAsync(async () => {
    const items = await parentConsents();
    return items.find((i) => i.childId === childId) ?? null;
  }, [childId]);
  return [state.data, reload];
}

export function ChildConsent({ item, onAnswered }: { item: ParentConsent; onAnswered: () => void }) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState<ConsentAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);
  const answer = async (a: ConsentAnswer) => {
    setBusy(a);
    setError(null);
    try {
      await consentApi.answer(item.campaignId, item.childId, a);
      forgetParentConsents();
      onAnswered();
    } catch (e) {
      setError(errorMessage(e, t));
    } finally {
      setBusy(null);
    }
  };
  const headingId = `consent-${item.campaignId}-${item.childId}`;
  return (
    <section class="consent-card" aria-labelledby={headingId}>
      <div class="consent-head">
        <h3 id={headingId}>{t('consent.question.title')}</h3>
        <Badge tone={consentTone(item.outcome)}>{consentStateText(item.outcome, t)}</Badge>
      </div>
      <p>{t('consent.question.lead', { group: item.groupName.replace(/^Группа\s+«?|»$/g, '') })}</p>
      <p class="muted">
        {t('consent.progress', { agreed: item.outcome.agreed, families: item.outcome.families })}
      </p>
      <details class="consent-text">
        <summary>{t('consent.question.text', { version: item.templateVersion })}</summary>
        <p class="consent-title">{item.title}</p>
        <p>{item.body}</p>
      </details>
      {item.myAnswer === null && item.remindedAt ? (
        <Notice tone="warn" icon="clock">
          <p>{t('consent.reminded')}</p>
        </Notice>
      ) : null}
      <p class="consent-mine">
        {item.myAnswer && item.myAnsweredAt
          ? t(item.myAnswer === 'agree' ? 'consent.my.agree' : 'consent.my.disagree', {
              when: formatDateTime(item.myAnsweredAt, lang),
            })
          : t('consent.my.none')}
      </p>
      <div
        class="consent-actions"
        role="group"
        aria-label={t('consent.question.forChild', { child: item.childName })}
      >
        <Button
          variant={item.myAnswer === 'agree' ? 'primary' : 'secondary'}
          aria-pressed={item.myAnswer === 'agree' ? 'true' : 'false'}
          busy={busy === 'agree'}
          disabled={busy !== null || item.myAnswer === 'agree'}
          onClick={() => void answer('agree')}
        >
          {t('consent.agree')}
        </Button>
        <Button
          variant={item.myAnswer === 'disagree' ? 'danger' : 'secondary'}
          aria-pressed={item.myAnswer === 'disagree' ? 'true' : 'false'}
          busy={busy === 'disagree'}
          disabled={busy !== null || item.myAnswer === 'disagree'}
          onClick={() => void answer('disagree')}
        >
          {t('consent.disagree')}
        </Button>
      </div>
      <p class="muted small">{t('consent.withdraw.hint')}</p>
      {error ? (
        <Notice tone="bad" live>
          <p>{error}</p>
        </Notice>
      ) : null}
    </section>
  );
}

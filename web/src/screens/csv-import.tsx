/** CSV import of children, enrolments and guardians: all or nothing, every bad row shown by line. */
import { useState } from 'preact/hooks';
import { api, ApiError, type ImportBadRow, type ImportResult } from '../api.js';
import { Icon } from '../icons.js';
import { useI18n } from '../i18n.js';
import { Button, Card, errorMessage, Notice, TextArea } from '../ui.js';

type Result =
  | { kind: 'ok'; result: ImportResult }
  | { kind: 'rows'; rows: ImportBadRow[] }
  | { kind: 'error'; error: unknown };

export function badRows(err: unknown): ImportBadRow[] | null {
  if (!(err instanceof ApiError) || err.code !== 'validation_failed' || !Array.isArray(err.details))
    return null;
  const rows = (err.details as Partial<ImportBadRow>[]).filter(
    (d): d is ImportBadRow => typeof d.line === 'number' && typeof d.reason === 'string',
  );
  return rows.length ? rows.sort((a, b) => a.line - b.line) : null;
}

export function CsvImport({ institutionId }: { institutionId: string }) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<Result | null>(null);

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    setFileName(file.name);
    setText(await file.text());
    setResult(null);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setResult(null);
    try {
      setResult({ kind: 'ok', result: await api.importCsv(institutionId, text) });
    } catch (error) {
      const rows = badRows(error);
      setResult(rows ? { kind: 'rows', rows } : { kind: 'error', error });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="import">
      <Card>
        <h2 class="form-title">{t('import.title')}</h2>
        <p class="muted">{t('import.lead')}</p>
        <form onSubmit={(e) => void submit(e)}>
          <label class="file-drop">
            <Icon name="upload" size={24} />
            <span>{fileName || t('import.file')}</span>
            <input
              type="file"
              accept=".csv,text/csv"
              class="sr-only"
              onChange={(e) => void onFile(e.currentTarget.files?.[0])}
            />
          </label>
          <TextArea label={t('import.paste')} value={text} onValue={setText} rows={6} />
          <div class="form-actions">
            <Button type="submit" variant="primary" icon="upload" busy={busy} disabled={!text.trim()}>
              {busy ? t('import.running') : t('import.submit')}
            </Button>
          </div>
        </form>
      </Card>
      {result?.kind === 'ok' ? (
        <Notice tone="ok" icon="check" live title={t('import.done', { rows: result.result.rows })}>
          <ul class="import-summary">
            {(['children', 'enrolments', 'guardians'] as const).map((k) => (
              <li key={k}>
                {t(`import.${k}`, {
                  created: result.result[k].created,
                  updated: result.result[k].updated,
                  unchanged: result.result[k].unchanged,
                })}
              </li>
            ))}
            <li>
              {t('import.persons', {
                created: result.result.persons.created,
                matched: result.result.persons.matched,
              })}
            </li>
            {result.result.unverifiedLinks > 0 ? (
              <li>{t('import.unverified', { count: result.result.unverifiedLinks })}</li>
            ) : null}
          </ul>
        </Notice>
      ) : null}
      {result?.kind === 'error' ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(result.error, t)}</p>
        </Notice>
      ) : null}
      {result?.kind === 'rows' ? (
        <div class="import-errors">
          <Notice tone="bad" icon="alert" live title={t('import.failed', { count: result.rows.length })} />
          <div class="table-wrap">
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">{t('import.line')}</th>
                  <th scope="col">{t('import.column')}</th>
                  <th scope="col">{t('import.reason')}</th>
                </tr>
              </thead>
              <tbody>
                {result.rows.map((r, i) => (
                  <tr key={i}>
                    <td class="num">{r.line}</td>
                    <td>{r.column ?? t('common.none')}</td>
                    <td>{r.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : null}
    </div>
  );
}

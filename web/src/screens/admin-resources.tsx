/**
 * One admin list (rooms, children, a child's enrolments, …): a table that becomes cards on phones, a
 * form to add an item, and per-row actions. Field errors from the server's `validation_failed`
 * details are shown next to their fields.
 */
import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError } from '../api.js';
import { useAsync } from '../hooks.js';
import { useI18n, type MessageKey } from '../i18n.js';
import {
  Button,
  CheckboxField,
  EmptyState,
  ErrorState,
  errorMessage,
  Loading,
  Notice,
  SelectField,
  TextField,
  type Option,
} from '../ui.js';

export type FormField =
  | {
      name: string;
      label: MessageKey;
      kind: 'text' | 'date' | 'time' | 'number';
      required?: boolean;
      hint?: MessageKey;
      initial?: string;
    }
  | {
      name: string;
      label: MessageKey;
      kind: 'select';
      options: readonly Option[];
      required?: boolean;
      initial?: string;
    }
  | { name: string; label: MessageKey; kind: 'checkbox'; initial?: boolean };

export interface Column<T> {
  label: MessageKey;
  render(item: T): ComponentChildren;
  /** the row's title on phones */
  primary?: boolean;
}

export interface RowAction<T> {
  label: MessageKey;
  /** whether this row offers the action */
  when?(item: T): boolean;
  run(item: T): Promise<unknown>;
  danger?: boolean;
}

type Values = Record<string, string | boolean>;

function initialValues(fields: readonly FormField[]): Values {
  const v: Values = {};
  for (const f of fields)
    v[f.name] =
      f.kind === 'checkbox'
        ? (f.initial ?? false)
        : (f.initial ?? (f.kind === 'select' ? (f.options[0]?.value ?? '') : ''));
  return v;
}

function toBody(fields: readonly FormField[], values: Values): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of fields) {
    const v = values[f.name];
    if (f.kind === 'checkbox') body[f.name] = Boolean(v);
    else if (typeof v === 'string' && v.trim() !== '')
      body[f.name] = f.kind === 'number' ? Number(v) : v.trim();
  }
  return body;
}

/** `validation_failed` details → errors by field name. */
export function fieldErrors(err: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(err instanceof ApiError) || !Array.isArray(err.details)) return out;
  for (const d of err.details as { field?: unknown; message?: unknown; property?: unknown }[]) {
    // `body/name` → name; `body/person/subject` → subject (the forms' fields are flat)
    const field =
      typeof d.field === 'string'
        ? (d.field
            .replace(/^body\/?/, '')
            .split('/')
            .pop() ?? '')
        : '';
    const name = field || (typeof d.property === 'string' ? d.property : '');
    if (name && typeof d.message === 'string') out[name] = d.message;
  }
  return out;
}

export function ResourceList<T extends { id: string }>({
  load,
  deps,
  columns,
  form,
  addLabel,
  create,
  actions = [],
  intro,
  title,
}: {
  /** the whole list */
  load: () => Promise<T[]>;
  /** what the list depends on (it loads again when they change) */
  deps: readonly unknown[];
  columns: readonly Column<T>[];
  form?: readonly FormField[];
  addLabel?: MessageKey;
  /** makes an item from the form's values; without it there is no form */
  create?: (values: Record<string, unknown>) => Promise<unknown>;
  actions?: readonly RowAction<T>[];
  intro?: ComponentChildren;
  /** a heading over the list (when a page has several) */
  title?: string;
}) {
  const { t } = useI18n();
  const [list, reload] = useAsync(() => load(), deps);
  const [adding, setAdding] = useState(false);
  const [busyRow, setBusyRow] = useState<string | null>(null);
  const [rowError, setRowError] = useState<unknown>(null);

  const runAction = async (action: RowAction<T>, item: T) => {
    setBusyRow(item.id);
    setRowError(null);
    try {
      await action.run(item);
      reload();
    } catch (err) {
      setRowError(err);
    } finally {
      setBusyRow(null);
    }
  };

  return (
    <div class="resource">
      <div class="resource-bar">
        {title ? <h2 class="section-title">{title}</h2> : null}
        {intro ? <div class="resource-intro">{intro}</div> : title ? null : <span />}
        {form && addLabel && create && !adding ? (
          <Button variant="primary" icon="plus" onClick={() => setAdding(true)}>
            {t(addLabel)}
          </Button>
        ) : null}
      </div>
      {form && addLabel && create && adding ? (
        <CreateForm
          fields={form}
          title={t(addLabel)}
          onCancel={() => setAdding(false)}
          onSubmit={async (body) => {
            await create(body);
            setAdding(false);
            reload();
          }}
        />
      ) : null}
      {rowError ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(rowError, t)}</p>
        </Notice>
      ) : null}
      {list.status === 'error' && !list.data ? (
        <ErrorState error={list.error} onRetry={reload} />
      ) : !list.data ? (
        <Loading />
      ) : list.data.length === 0 ? (
        <EmptyState icon="plus" title={t('admin.listEmpty')} />
      ) : (
        <DataTable
          rows={list.data}
          columns={columns}
          actions={(item) =>
            actions
              .filter((a) => !a.when || a.when(item))
              .map((a) => (
                <Button
                  key={a.label}
                  variant={a.danger ? 'danger' : 'secondary'}
                  class="btn-small"
                  busy={busyRow === item.id}
                  onClick={() => void runAction(a, item)}
                >
                  {t(a.label)}
                </Button>
              ))
          }
        />
      )}
    </div>
  );
}

export function DataTable<T extends { id: string }>({
  rows,
  columns,
  actions,
}: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  actions?: (item: T) => ComponentChildren[];
}) {
  const { t } = useI18n();
  const hasActions = Boolean(actions);
  return (
    <div class="table-wrap">
      <table class="table responsive">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.label} scope="col">
                {t(c.label)}
              </th>
            ))}
            {hasActions ? (
              <th scope="col">
                <span class="sr-only">{t('common.all')}</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => {
            const acts = actions?.(row) ?? [];
            return (
              <tr key={row.id}>
                {columns.map((c) => (
                  <td key={c.label} data-label={t(c.label)} class={c.primary ? 'cell-primary' : undefined}>
                    {c.render(row)}
                  </td>
                ))}
                {hasActions ? (
                  <td class="cell-actions">{acts.length ? <div class="row-actions">{acts}</div> : null}</td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function CreateForm({
  fields,
  title,
  onSubmit,
  onCancel,
  submitLabel,
}: {
  fields: readonly FormField[];
  title: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
  submitLabel?: string;
}) {
  const { t } = useI18n();
  const [values, setValues] = useState<Values>(() => initialValues(fields));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const errors = fieldErrors(error);
  const set = (name: string, v: string | boolean) => setValues((old) => ({ ...old, [name]: v }));

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await onSubmit(toBody(fields, values));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form-card" onSubmit={(e) => void submit(e)} noValidate={false}>
      <h2 class="form-title">{title}</h2>
      <div class="form-grid">
        {fields.map((f) => {
          const v = values[f.name];
          switch (f.kind) {
            case 'checkbox':
              return (
                <CheckboxField
                  key={f.name}
                  label={t(f.label)}
                  checked={Boolean(v)}
                  onChecked={(x) => set(f.name, x)}
                />
              );
            case 'select':
              return (
                <SelectField
                  key={f.name}
                  label={t(f.label)}
                  value={String(v ?? '')}
                  onValue={(x) => set(f.name, x)}
                  options={f.options}
                  required={f.required}
                  error={errors[f.name]}
                />
              );
            case 'text':
            case 'date':
            case 'time':
            case 'number':
              return (
                <TextField
                  key={f.name}
                  label={t(f.label)}
                  type={f.kind}
                  value={String(v ?? '')}
                  onValue={(x) => set(f.name, x)}
                  required={f.required}
                  hint={f.hint ? t(f.hint) : undefined}
                  error={errors[f.name]}
                />
              );
          }
        })}
      </div>
      {error && Object.keys(errors).length === 0 ? (
        <Notice tone="bad" icon="alert" live>
          <p>{errorMessage(error, t)}</p>
        </Notice>
      ) : null}
      <div class="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {submitLabel ?? t('common.save')}
        </Button>
        {onCancel ? (
          <Button variant="ghost" onClick={onCancel}>
            {t('common.cancel')}
          </Button>
        ) : null}
      </div>
    </form>
  );
}

/** Adding a camera: the form, a probe of the stream (progress, then codecs and a snapshot), and save. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type ProbeResult, type RecordingPolicy, type RtspTransport } from '../api.js';
import { useAsync, useNow, useTitle } from '../hooks.js';
import { Icon } from '../icons.js';
import { useI18n } from '../i18n.js';
import { navigate } from '../router.js';
import {
  Button,
  Card,
  CheckboxField,
  errorMessage,
  Facts,
  Notice,
  PageHeader,
  RadioGroup,
  SelectField,
  Spinner,
  TextField,
} from '../ui.js';
import { fieldErrors } from './admin-resources.js';

type Probe =
  | { status: 'idle' }
  | { status: 'running'; startedAt: number }
  | { status: 'ok'; result: ProbeResult; forUrl: string }
  | { status: 'error'; error: unknown };

export function CameraNew({ institutionId }: { institutionId: string }) {
  const { t } = useI18n();
  useTitle(t('camera.add'));
  const [lookups] = useAsync(async () => {
    const [institution, rooms] = await Promise.all([
      api.institution(institutionId),
      api.rooms.list(institutionId),
    ]);
    return { institution, rooms };
  }, [institutionId]);
  const rooms = lookups.data?.rooms ?? [];
  const [name, setName] = useState('');
  const [roomId, setRoomId] = useState('');
  const [sourceUrl, setSourceUrl] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [transport, setTransport] = useState<RtspTransport>('tcp');
  const [enabled, setEnabled] = useState(true);
  const [audioAllowed, setAudioAllowed] = useState(false);
  const [recordingPolicy, setRecordingPolicy] = useState<RecordingPolicy>('off');
  const [probe, setProbe] = useState<Probe>({ status: 'idle' });
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const abortRef = useRef<AbortController | null>(null);

  useEffect(() => {
    const first = rooms[0];
    if (!roomId && first) setRoomId(first.id);
  }, [rooms, roomId]);
  useEffect(() => () => abortRef.current?.abort(), []);

  const runProbe = async () => {
    abortRef.current?.abort();
    const ctl = new AbortController();
    abortRef.current = ctl;
    setProbe({ status: 'running', startedAt: Date.now() });
    try {
      const result = await api.cameras.probe(
        {
          sourceUrl: sourceUrl.trim(),
          rtspTransport: transport,
          ...(username ? { username } : {}),
          ...(password ? { password } : {}),
        },
        ctl.signal,
      );
      setProbe({ status: 'ok', result, forUrl: sourceUrl.trim() });
    } catch (error) {
      if (!ctl.signal.aborted) setProbe({ status: 'error', error });
    }
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setSaving(true);
    setSaveError(null);
    try {
      // A camera belongs to a room: it is created under it.
      await api.cameras.create(roomId, {
        name: name.trim(),
        sourceUrl: sourceUrl.trim(),
        rtspTransport: transport,
        enabled,
        audioAllowed,
        recordingPolicy,
        ...(username ? { username } : {}),
        ...(password ? { password } : {}),
      });
      navigate(`/admin/institutions/${encodeURIComponent(institutionId)}/cameras`);
    } catch (error) {
      setSaveError(error);
    } finally {
      setSaving(false);
    }
  };

  const checked = probe.status === 'ok' && probe.forUrl === sourceUrl.trim();
  const errors = fieldErrors(saveError);
  const canProbe = sourceUrl.trim() !== '' && probe.status !== 'running';

  return (
    <div class="page">
      <PageHeader
        title={t('camera.add')}
        lead={lookups.data?.institution.name}
        back={{
          href: `/admin/institutions/${encodeURIComponent(institutionId)}/cameras`,
          label: t('admin.tab.cameras'),
        }}
      />
      <form class="camera-form" onSubmit={(e) => void save(e)}>
        <Card>
          <div class="form-grid">
            <TextField label={t('camera.name')} value={name} onValue={setName} required error={errors.name} />
            <SelectField
              label={t('camera.room')}
              value={roomId}
              onValue={setRoomId}
              options={rooms.map((r) => ({
                value: r.id,
                label: `${r.name} (${t(`room.zoneShort.${r.zone}`)})`,
              }))}
              required
            />
            <TextField
              class="span-2"
              label={t('camera.sourceUrl')}
              hint={t('camera.sourceUrlHint')}
              value={sourceUrl}
              onValue={setSourceUrl}
              required
              type="url"
              inputMode="url"
              autoComplete="off"
              spellcheck={false}
              error={errors.sourceUrl}
            />
            <TextField
              label={t('camera.username')}
              value={username}
              onValue={setUsername}
              autoComplete="off"
            />
            <TextField
              label={t('camera.password')}
              value={password}
              onValue={setPassword}
              type="password"
              autoComplete="new-password"
            />
          </div>
          <p class="hint">
            <Icon name="lock" size={14} /> {t('camera.credentialsHint')}
          </p>
          <RadioGroup
            legend={t('camera.transport')}
            name="transport"
            value={transport}
            onValue={(v) => setTransport(v === 'udp' ? 'udp' : 'tcp')}
            options={[
              { value: 'tcp', label: t('camera.transport.tcp') },
              { value: 'udp', label: t('camera.transport.udp') },
            ]}
          />
          <div class="probe-row">
            <Button icon="camera" onClick={() => void runProbe()} disabled={!canProbe}>
              {t('camera.probe')}
            </Button>
          </div>
          <ProbePanel probe={probe} />
        </Card>

        <Card>
          <div class="form-grid">
            <SelectField
              label={t('camera.recordingPolicy')}
              value={recordingPolicy}
              onValue={(v) => setRecordingPolicy(v as RecordingPolicy)}
              options={(['off', 'continuous', 'schedule', 'manual'] as const).map((p) => ({
                value: p,
                label: t(`camera.recording.${p}`),
              }))}
            />
          </div>
          <div class="form-checks">
            <CheckboxField label={t('camera.enabled')} checked={enabled} onChecked={setEnabled} />
            <CheckboxField
              label={t('camera.audioAllowed')}
              checked={audioAllowed}
              onChecked={setAudioAllowed}
            />
          </div>
        </Card>

        {saveError && Object.keys(errors).length === 0 ? (
          <Notice tone="bad" icon="alert" live>
            <p>{errorMessage(saveError, t)}</p>
          </Notice>
        ) : null}
        {!checked ? <p class="muted small">{t('camera.probeFirst')}</p> : null}
        <div class="form-actions">
          <Button
            type="submit"
            variant={checked ? 'primary' : 'secondary'}
            busy={saving}
            disabled={!name.trim() || !sourceUrl.trim() || !roomId}
          >
            {checked ? t('camera.saveChecked') : t('camera.saveUnchecked')}
          </Button>
        </div>
      </form>
    </div>
  );
}

function ProbePanel({ probe }: { probe: Probe }) {
  const { t, lang } = useI18n();
  switch (probe.status) {
    case 'idle':
      return null;
    case 'running':
      return <ProbeProgress startedAt={probe.startedAt} />;
    case 'error':
      return (
        <Notice tone="bad" icon="alert" title={t('camera.probeFailed')} live>
          <p>{errorMessage(probe.error, t)}</p>
        </Notice>
      );
    case 'ok': {
      const { video, audio, demo, snapshotDataUrl } = probe.result;
      const nf = new Intl.NumberFormat(lang === 'ru' ? 'ru-RU' : 'en-GB', { maximumFractionDigits: 1 });
      const keySeconds =
        video.keyframeIntervalMs !== undefined
          ? video.keyframeIntervalMs / 1000
          : video.fps && video.keyframeIntervalFrames
            ? video.keyframeIntervalFrames / video.fps
            : undefined;
      const codec = (c: string) => CODEC_NAMES[c] ?? c.toUpperCase();
      const facts: [string, string][] = [
        [t('camera.video'), video.profile ? `${codec(video.codec)} (${video.profile})` : codec(video.codec)],
        [t('camera.resolution'), `${video.width} × ${video.height}`],
      ];
      if (video.fps !== undefined) facts.push([t('camera.fps'), nf.format(video.fps)]);
      if (keySeconds !== undefined)
        facts.push([
          t('camera.keyframes'),
          video.keyframeIntervalFrames !== undefined
            ? t('camera.keyframesValue', {
                frames: video.keyframeIntervalFrames,
                seconds: nf.format(keySeconds),
              })
            : t('camera.keyframesSeconds', { seconds: nf.format(keySeconds) }),
        ]);
      facts.push([
        t('camera.audio'),
        audio
          ? [codec(audio.codec), audio.sampleRateHz ? `${nf.format(audio.sampleRateHz / 1000)} kHz` : null]
              .filter(Boolean)
              .join(', ')
          : t('camera.noAudio'),
      ]);
      return (
        <div class="probe-result" role="status">
          <p class="probe-ok">
            <Icon name="check" size={20} />
            {t('camera.probeOk')}
          </p>
          {snapshotDataUrl ? (
            <img class="probe-snapshot" src={snapshotDataUrl} alt={t('camera.snapshotAlt')} />
          ) : null}
          <Facts items={facts} />
          {demo ? <p class="muted small">{t('camera.probeDemo')}</p> : null}
        </div>
      );
    }
  }
}

const CODEC_NAMES: Record<string, string> = { h264: 'H.264', hevc: 'H.265 (HEVC)', aac: 'AAC' };

function ProbeProgress({ startedAt }: { startedAt: number }) {
  const { t } = useI18n();
  const now = useNow(500);
  const seconds = Math.floor((now.getTime() - startedAt) / 1000);
  const pct = Math.min(95, (seconds / 15) * 100);
  return (
    <div class="probe-progress">
      <p class="probe-progress-text">
        <Spinner small />
        <span role="status">{t('camera.probingNow')}</span>
        <span class="muted" aria-hidden="true">
          {t('camera.seconds', { seconds })}
        </span>
      </p>
      <div class="progress" aria-hidden="true">
        <div class="progress-bar" style={{ width: `${pct}%` }} />
      </div>
      <p class="muted small">{t('camera.probingHint')}</p>
    </div>
  );
}

/** The app: language, session, and which screen each path shows. */
import {
  DeliveryLog,
  NotificationDetail,
  NotificationSettings,
  NotificationsList,
} from './screens/notifications.js';
import type { ComponentChildren } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, onUnauthenticated, type Me } from './api.js';
import { I18nContext, initialLang, rememberLang, translate, type I18n, type Lang } from './i18n.js';
import { matchPath, navigate, useLocation, type Location } from './router.js';
import { homePath, SessionContext } from './session.js';
import { Shell } from './shell.js';
import { ErrorState, Loading } from './ui.js';
import { Login } from './screens/login.js';
import { ParentHome } from './screens/parent-home.js';
import { Watch } from './screens/watch.js';
import { Institutions } from './screens/admin-institutions.js';
import { INSTITUTION_TABS, InstitutionPage } from './screens/admin-institution.js';
import { ChildPage } from './screens/admin-child.js';
import { CameraNew } from './screens/camera-new.js';
import { OperatorHealth } from './screens/operator-health.js';
import { BILLING_TABS, Tariffs } from './screens/tariffs.js';
import { OperatorConnections } from './screens/operator-connections.js';
import { AuditSearch } from './screens/audit.js';
import { RecordingsIndex, Recordings } from './screens/recordings.js';
import { NotFound } from './screens/not-found.js';
import { AttendanceRegister } from './screens/attendance-register.js';
import { AttendanceAbsence } from './screens/attendance-absence.js';
import { AttendanceEducation } from './screens/attendance-education.js';
import { InspectionsHome, InspectionWork } from './screens/inspections-specialist.js';
import { InspectionReview, InspectionsPlan } from './screens/inspections-office.js';
import { VisitsDesk, VisitsDeskIndex } from './screens/visits-desk.js';
import { VisitFlags } from './screens/visit-flags.js';
import { VisitCoverage } from './screens/visit-coverage.js';
import {
  CitizenRequestNew,
  CitizenRequestPage,
  CitizenRequestsList,
  PrivacyMasks,
} from './screens/citizen-requests.js';
import { MyWorkplace } from './screens/my-workplace.js';

type Session =
  | { status: 'loading' }
  | { status: 'anon'; ended: boolean }
  | { status: 'ok'; me: Me }
  | { status: 'error'; error: unknown };

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n = useMemo<I18n>(
    () => ({
      lang,
      t: (key, params) => translate(lang, key, params),
      setLang: (l) => {
        rememberLang(l);
        setLangState(l);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);

  const [session, setSession] = useState<Session>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    api.me().then(
      (me) => setSession(me ? { status: 'ok', me } : { status: 'anon', ended: false }),
      (error: unknown) => setSession({ status: 'error', error }),
    );
  }, [attempt]);
  useEffect(() => onUnauthenticated(() => setSession({ status: 'anon', ended: true })), []);

  let body: ComponentChildren;
  switch (session.status) {
    case 'loading':
      body = (
        <div class="splash">
          <Loading />
        </div>
      );
      break;
    case 'anon':
      body = <Login sessionEnded={session.ended} />;
      break;
    case 'error':
      body = (
        <main id="main" class="splash">
          <ErrorState error={session.error} onRetry={() => setAttempt((n) => n + 1)} />
        </main>
      );
      break;
    case 'ok':
      body = (
        <SessionContext.Provider value={session.me}>
          <Routes me={session.me} />
        </SessionContext.Provider>
      );
      break;
  }
  return <I18nContext.Provider value={i18n}>{body}</I18nContext.Provider>;
}

function Routes({ me }: { me: Me }) {
  const loc = useLocation();
  const home = homePath(me);
  useEffect(() => {
    if (loc.path === '/') navigate(home, { replace: true });
  }, [loc.path, home]);
  return <Shell path={loc.path}>{screenFor(loc)}</Shell>;
}

function screenFor(loc: Location): ComponentChildren {
  const { path } = loc;
  let m: Record<string, string> | null;
  if (path === '/') return <Loading />;
  if (path === '/children') return <ParentHome />;
  if ((m = matchPath('/watch/:cameraId', path)))
    return <Watch key={m.cameraId} cameraId={m.cameraId ?? ''} state={loc.state} />;
  if (path === '/admin' || path === '/admin/institutions') return <Institutions />;
  if ((m = matchPath('/admin/institutions/:id/cameras/new', path)))
    return <CameraNew institutionId={m.id ?? ''} />;
  if ((m = matchPath('/admin/institutions/:id', path)))
    return <InstitutionPage id={m.id ?? ''} tab="overview" />;
  if ((m = matchPath('/admin/institutions/:id/children/:childId', path)))
    return <ChildPage key={m.childId} institutionId={m.id ?? ''} childId={m.childId ?? ''} />;
  if ((m = matchPath('/admin/institutions/:id/:tab', path))) {
    const tab = INSTITUTION_TABS.find((x) => x === m?.tab);
    if (tab) return <InstitutionPage id={m.id ?? ''} tab={tab} />;
  }
  if (path === '/notifications') return <NotificationsList />;
  if (path === '/notifications/settings') return <NotificationSettings />;
  if (path === '/notifications/deliveries') return <DeliveryLog />;
  if ((m = matchPath('/notifications/:id', path))) return <NotificationDetail key={m.id} id={m.id ?? ''} />;
  if (path === '/operator') return <OperatorHealth />;
  if (path === '/operator/tariffs') return <Tariffs />;
  if ((m = matchPath('/operator/tariffs/runs/:id', path))) return <Tariffs tab="runs" runId={m.id ?? ''} />;
  if ((m = matchPath('/operator/tariffs/:tab', path))) {
    const tab = BILLING_TABS.find((x) => x === m?.tab);
    if (tab) return <Tariffs tab={tab} />;
  }
  if (path === '/operator/connections') return <OperatorConnections />;
  if (path === '/audit') return <AuditSearch query={loc.query} />;
  if (path === '/recordings') return <RecordingsIndex />;
  if ((m = matchPath('/recordings/:cameraId', path)))
    return <Recordings key={m.cameraId} cameraId={m.cameraId ?? ''} query={loc.query} />;
  if (path === '/register') return <AttendanceRegister />;
  if (path === '/absence') return <AttendanceAbsence />;
  if (path === '/education') return <AttendanceEducation />;
  if (path === '/desk') return <VisitsDeskIndex />;
  if ((m = matchPath('/desk/:roomId', path))) return <VisitsDesk key={m.roomId} roomId={m.roomId ?? ''} />;
  if (path === '/visits/flags')
    return <VisitFlags status={loc.query.get('status') === 'resolved' ? 'resolved' : 'open'} />;
  if (path === '/visits/coverage') return <VisitCoverage />;
  if (path === '/inspections') return <InspectionsHome />;
  if (path === '/inspections/office') return <InspectionsPlan />;
  if ((m = matchPath('/inspections/office/:id', path)))
    return <InspectionReview key={m.id} id={m.id ?? ''} />;
  if ((m = matchPath('/inspections/:id', path))) return <InspectionWork key={m.id} id={m.id ?? ''} />;
  if (path === '/citizen-requests') return <CitizenRequestsList />;
  if (path === '/citizen-requests/new') return <CitizenRequestNew />;
  if ((m = matchPath('/citizen-requests/masks/:cameraId', path)))
    return <PrivacyMasks key={m.cameraId} cameraId={m.cameraId ?? ''} />;
  if ((m = matchPath('/citizen-requests/:id', path)))
    return <CitizenRequestPage key={m.id} id={m.id ?? ''} />;
  if (path === '/my-workplace') return <MyWorkplace />;
  return <NotFound />;
}

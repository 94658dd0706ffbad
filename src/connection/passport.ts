/**
 * The connection passport: the PDF the city asks a kindergarten to sign and keep — its cameras with
 * their checks and attested snapshots, the network requirements, the consent state and the go-live
 * date. Drawn with PDFKit (a well-kept PDF library) in DejaVu Sans, which has Cyrillic; the fonts come
 * from Debian's fonts-dejavu-core (or OKNO's font directory setting).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import type { ConnectionView } from '../domain/connection/connection.js';

export const FONT_DIRS = ['/usr/share/fonts/truetype/dejavu'];

function font(name: string): string {
  for (const dir of FONT_DIRS) {
    const f = path.join(dir, name);
    if (existsSync(f)) return f;
  }
  throw new Error(`font ${name} not found (install the Debian package fonts-dejavu-core)`);
}

const STEP_WORDS: Record<string, string> = {
  rooms: 'Группы и помещения',
  cameras_checked: 'Камеры проверены по требованиям города',
  attested: 'Изображение подтверждено',
  network: 'Канал связи',
  consent: 'Согласие родителей',
  live: 'Подключение',
};

export interface PassportInput {
  view: ConnectionView;
  /** attested snapshots by SHA-256 */
  snapshots: Map<string, Buffer>;
  generatedAt: Date;
}

/** Writes the passport to a PDF document stream (the caller pipes it to the reply). */
export function passportPdf(input: PassportInput): PDFKit.PDFDocument {
  const { view: v } = input;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    info: { Title: `Паспорт подключения — ${v.institution.name}`, Author: 'Окно' },
  });
  doc.registerFont('regular', font('DejaVuSans.ttf'));
  doc.registerFont('bold', font('DejaVuSans-Bold.ttf'));
  const h = (text: string) =>
    doc.moveDown(0.8).font('bold').fontSize(14).text(text).moveDown(0.3).font('regular').fontSize(10);

  doc.font('bold').fontSize(18).text('Паспорт подключения детского сада к сервису «Окно»');
  doc.moveDown(0.3).font('regular').fontSize(11).text(v.institution.name);
  doc
    .fontSize(9)
    .fillColor('#555')
    .text(`Сформирован ${input.generatedAt.toISOString().replace('T', ' ').slice(0, 16)} UTC`)
    .fillColor('black');

  h('1. Готовность к подключению');
  for (const s of v.steps) doc.text(`${s.done ? '[x]' : '[ ]'} ${STEP_WORDS[s.key] ?? s.key}: ${s.detail}`);

  h('2. Камеры');
  if (v.cameras.length === 0) doc.text('Камер, показываемых родителям, нет.');
  for (const c of v.cameras) {
    doc.font('bold').text(`${c.name} — ${c.roomName}`).font('regular');
    if (!c.check) doc.text('Проверка по требованиям города не проводилась.');
    else {
      doc.text(
        `Проверка ${c.check.checkedAt.slice(0, 16).replace('T', ' ')} UTC: ${c.check.passed ? 'соответствует' : 'НЕ соответствует'}`,
      );
      if (c.check.error) doc.text(`Камера не ответила: ${c.check.error}`);
      for (const r of c.check.requirements)
        doc.text(
          `  ${r.state === 'met' ? 'выполнено' : r.state === 'manual' ? 'настраивается на камере' : 'НЕ выполнено'} — ${r.required}; фактически: ${r.actual}`,
        );
    }
    if (c.attestation) {
      doc.text(
        `Изображение подтвердил(а) ${c.attestation.byName} ${c.attestation.at.slice(0, 16).replace('T', ' ')} UTC; SHA-256 снимка: ${c.attestation.sha256}`,
      );
      const jpeg = input.snapshots.get(c.attestation.sha256);
      if (jpeg) {
        if (doc.y > 600) doc.addPage();
        doc.image(jpeg, { fit: [240, 135] });
        doc.moveDown(0.5);
      }
    } else doc.text('Изображение не подтверждено.');
    doc.moveDown(0.5);
  }

  h('3. Требования к сети и камерам');
  const p = v.profile;
  doc.text(`Исходящий канал площадки: не менее ${v.uplinkMbps} Мбит/с (по одному потоку от каждой камеры).`);
  doc.text(
    `Кодек: ${p.allowH265 ? 'H.264 или H.265' : 'H.264'}; разрешение ${p.minWidth}×${p.minHeight}–${p.maxWidth}×${p.maxHeight}.`,
  );
  doc.text(
    `Частота кадров ${p.minFps}–${p.maxFps} кадров/с; опорный кадр не реже раза в ${p.maxKeyframeIntervalS} с.`,
  );
  doc.text(
    `Битрейт ${p.minBitrateKbps / 1000}–${p.maxBitrateKbps / 1000} Мбит/с; звук из групп ${p.audioOffInGroups ? 'не передаётся' : 'допускается'}.`,
  );
  if (p.timeSyncRequired) doc.text('Часы камер синхронизированы по NTP.');

  h('4. Согласие родителей');
  doc.text(
    `Групп с согласием родителей: ${v.consent.groupsWithConsent}; идёт сбор согласий: ${v.consent.activeCampaigns}.`,
  );

  h('5. Дата подключения');
  doc.text(v.wentLiveAt ? v.wentLiveAt.slice(0, 10) : 'Детский сад ещё не подключён.');

  doc.moveDown(2);
  doc.text('Руководитель детского сада: ____________________ / ____________________ /');
  doc.moveDown(1);
  doc.text('Представитель оператора города: ____________________ / ____________________ /');
  doc.end();
  return doc;
}

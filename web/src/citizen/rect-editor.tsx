/**
 * Rectangles drawn over a camera's picture, in 0..1 coordinates of the picture (so they survive a
 * change of resolution). Pointer events cover mouse, pen and touch alike: drag on the picture to draw,
 * drag a rectangle to move it, drag its corner handle to resize it, a button deletes the selected one.
 * `fixed` rectangles (the camera's masks, in the request form) are shown grey and cannot be edited.
 */
import { useRef, useState } from 'preact/hooks';
import type { TargetedPointerEvent } from 'preact';
import { Button } from '../ui.js';
import { useCrT } from './strings.js';

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
  /** kept as it is (a mask's label), never edited here */
  label?: string | null;
}

type Drag =
  | { kind: 'draw'; x0: number; y0: number }
  | { kind: 'move'; index: number; dx: number; dy: number }
  | { kind: 'resize'; index: number };

const clamp = (v: number, lo = 0, hi = 1) => Math.min(hi, Math.max(lo, v));
const round = (v: number) => Math.round(v * 10000) / 10000;
const MIN = 0.02;

export function RectEditor({
  imageUrl,
  rects,
  onRects,
  fixed = [],
  label,
  tone = 'mask',
}: {
  imageUrl: string | null;
  rects: Rect[];
  onRects: (r: Rect[]) => void;
  fixed?: Rect[];
  label: string;
  tone?: 'mask' | 'region';
}) {
  const t = useCrT();
  const box = useRef<HTMLDivElement>(null);
  const [drag, setDrag] = useState<Drag | null>(null);
  const [selected, setSelected] = useState<number | null>(null);
  const [broken, setBroken] = useState(false);

  const at = (e: TargetedPointerEvent<HTMLElement>) => {
    const r = box.current!.getBoundingClientRect();
    return { x: clamp((e.clientX - r.left) / r.width), y: clamp((e.clientY - r.top) / r.height) };
  };
  const update = (i: number, r: Rect) => onRects(rects.map((x, j) => (j === i ? r : x)));

  const down = (e: TargetedPointerEvent<HTMLElement>) => {
    const p = at(e);
    const target = e.target as HTMLElement;
    const index = target.dataset.index !== undefined ? Number(target.dataset.index) : null;
    box.current!.setPointerCapture(e.pointerId);
    e.preventDefault();
    if (index !== null && target.dataset.handle) {
      setSelected(index);
      setDrag({ kind: 'resize', index });
    } else if (index !== null) {
      const r = rects[index]!;
      setSelected(index);
      setDrag({ kind: 'move', index, dx: p.x - r.x, dy: p.y - r.y });
    } else {
      const next = [...rects, { x: p.x, y: p.y, w: 0, h: 0 }];
      onRects(next);
      setSelected(next.length - 1);
      setDrag({ kind: 'draw', x0: p.x, y0: p.y });
    }
  };
  const move = (e: TargetedPointerEvent<HTMLElement>) => {
    if (!drag) return;
    const p = at(e);
    if (drag.kind === 'draw') {
      const i = rects.length - 1;
      update(i, {
        x: Math.min(drag.x0, p.x),
        y: Math.min(drag.y0, p.y),
        w: Math.abs(p.x - drag.x0),
        h: Math.abs(p.y - drag.y0),
      });
    } else if (drag.kind === 'move') {
      const r = rects[drag.index]!;
      update(drag.index, { ...r, x: clamp(p.x - drag.dx, 0, 1 - r.w), y: clamp(p.y - drag.dy, 0, 1 - r.h) });
    } else {
      const r = rects[drag.index]!;
      update(drag.index, { ...r, w: clamp(p.x - r.x, MIN, 1 - r.x), h: clamp(p.y - r.y, MIN, 1 - r.y) });
    }
  };
  const up = () => {
    if (!drag) return;
    // A tap (no drag) draws nothing; tiny rectangles are dropped; the rest are rounded.
    const cleaned = rects
      .filter((r) => r.w >= MIN && r.h >= MIN)
      .map((r) => ({
        ...r,
        x: round(r.x),
        y: round(r.y),
        w: round(Math.min(r.w, 1 - round(r.x))),
        h: round(Math.min(r.h, 1 - round(r.y))),
      }));
    if (cleaned.length !== rects.length) setSelected(null);
    onRects(cleaned);
    setDrag(null);
  };

  const pct = (v: number) => `${v * 100}%`;
  return (
    <div class="rect-editor">
      <div
        ref={box}
        class="rect-editor-canvas"
        role="application"
        aria-label={label}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={up}
        onPointerCancel={up}
      >
        {imageUrl && !broken ? (
          <img src={imageUrl} alt="" draggable={false} onError={() => setBroken(true)} />
        ) : (
          <div class="rect-editor-blank">{t('noPicture')}</div>
        )}
        {fixed.map((r, i) => (
          <div
            key={`f${i}`}
            class="rect rect-fixed"
            style={{ left: pct(r.x), top: pct(r.y), width: pct(r.w), height: pct(r.h) }}
          />
        ))}
        {rects.map((r, i) => (
          <div
            key={i}
            data-index={i}
            data-testid="rect"
            class={`rect rect-${tone}${selected === i ? ' rect-selected' : ''}`}
            style={{ left: pct(r.x), top: pct(r.y), width: pct(r.w), height: pct(r.h) }}
          >
            <span class="rect-number" data-index={i}>
              {i + 1}
            </span>
            <span class="rect-handle" data-index={i} data-handle="1" />
          </div>
        ))}
      </div>
      <div class="rect-editor-bar">
        <span>{t('maskCount', { n: rects.length })}</span>
        {selected !== null && rects[selected] ? (
          <>
            <span class="rect-editor-hint">{t('selected', { n: selected + 1 })}</span>
            <Button
              variant="danger"
              onClick={() => {
                onRects(rects.filter((_, j) => j !== selected));
                setSelected(null);
              }}
            >
              {t('remove')}
            </Button>
          </>
        ) : null}
        {rects.length > 1 ? (
          <Button
            variant="ghost"
            onClick={() => {
              onRects([]);
              setSelected(null);
            }}
          >
            {t('clearAll')}
          </Button>
        ) : null}
      </div>
    </div>
  );
}

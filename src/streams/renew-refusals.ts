/**
 * Bad renewal tokens sent on one WebSocket. Each refusal is an access decision and is audited, but a
 * socket must not be able to flood the audit log: the first refusal is written at once, later ones
 * are counted and written as one aggregated entry (with the count) at most once per `everyMs` and when
 * the socket closes; after `closeAfter` refusals the socket is closed.
 */
export type WriteRefusals = (count: number, reason: string, streamId: string | null) => Promise<void>;

export class RenewRefusals {
  private total = 0;
  private pending = 0;
  private reason = '';
  private streamId: string | null = null;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly write: WriteRefusals,
    private readonly opts: { everyMs: number; closeAfter: number } = { everyMs: 60_000, closeAfter: 20 },
  ) {}

  /** Records one refusal; says whether the socket should now be closed. */
  refused(reason: string, streamId: string | null): 'keep' | 'close' {
    this.total++;
    if (this.total === 1) void this.write(1, reason, streamId);
    else {
      this.pending++;
      this.reason = reason;
      this.streamId = streamId;
      this.timer ??= setTimeout(() => this.flush(), this.opts.everyMs).unref();
    }
    return this.total >= this.opts.closeAfter ? 'close' : 'keep';
  }

  /** The socket closed: what is still counted is written now. */
  close(): void {
    this.flush();
  }

  get count(): number {
    return this.total;
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === 0) return;
    const n = this.pending;
    this.pending = 0;
    void this.write(n, this.reason, this.streamId);
  }
}

/**
 * Head sampling of new traces: by rate, and optionally by a cap on recorded transactions
 * per second that samples down under overload (metrics still count every request).
 */
export class Sampler {
  private readonly rate: number;
  private readonly capPerSecond: number;
  private windowStartMs = 0;
  private inWindow = 0;

  constructor(rate: number, capPerSecond: number) {
    this.rate = rate;
    this.capPerSecond = capPerSecond;
  }

  /** For a new trace (no incoming sampled flag). */
  sampleRoot(): boolean {
    if (this.rate < 1 && (this.rate === 0 || Math.random() >= this.rate)) return false;
    return this.underCap();
  }

  /** For a continued trace: the upstream decided, but the cap still protects this process. */
  sampleContinued(upstreamSampled: boolean): boolean {
    return upstreamSampled && this.underCap();
  }

  private underCap(): boolean {
    if (this.capPerSecond === 0) return true;
    const now = Date.now();
    if (now - this.windowStartMs >= 1000) {
      this.windowStartMs = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.capPerSecond) return false;
    this.inWindow++;
    return true;
  }
}

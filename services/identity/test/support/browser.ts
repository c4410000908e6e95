// A minimal browser for sign-in flows across two origins (Airlock and an IdP): per-origin
// cookie jar, manual redirects, and the last response kept for assertions.
export interface Page {
  status: number;
  url: string;
  headers: Headers;
  body: string;
}

export class Browser {
  private readonly jars = new Map<string, Map<string, string>>();
  /** Every URL visited, in order. */
  readonly visited: string[] = [];

  cookies(origin: string): Map<string, string> {
    let jar = this.jars.get(origin);
    if (!jar) this.jars.set(origin, (jar = new Map()));
    return jar;
  }

  private store(url: URL, res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some(
        (a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a) || /^\s*max-age=0\b/i.test(a),
      );
      if (expired || value === '') this.cookies(url.origin).delete(name);
      else this.cookies(url.origin).set(name, value);
    }
  }

  /**
   * Sends a request and follows redirects, at most `maxHops` requests in all; a redirect to
   * a URL starting with `stopBefore` is returned instead of followed.
   */
  async request(
    method: string,
    start: string,
    body?: URLSearchParams,
    { maxHops = 20, stopBefore }: { maxHops?: number; stopBefore?: string } = {},
  ): Promise<Page> {
    let url = new URL(start);
    let currentMethod = method;
    let currentBody = body;
    for (let hop = 0; hop < maxHops; hop++) {
      this.visited.push(url.toString());
      const jar = this.cookies(url.origin);
      const res = await fetch(url, {
        method: currentMethod,
        redirect: 'manual',
        headers: {
          ...(jar.size ? { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') } : {}),
          ...(currentBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body: currentBody?.toString(),
      });
      this.store(url, res);
      const location = res.headers.get('location');
      const next = location ? new URL(location, url) : undefined;
      const follow = next && !(stopBefore && next.toString().startsWith(stopBefore)) && hop + 1 < maxHops;
      if (res.status >= 300 && res.status < 400 && next && follow) {
        await res.arrayBuffer();
        url = next;
        if (res.status !== 307 && res.status !== 308) {
          currentMethod = 'GET';
          currentBody = undefined;
        }
        continue;
      }
      return { status: res.status, url: url.toString(), headers: res.headers, body: await res.text() };
    }
    throw new Error(`too many redirects from ${start}`);
  }

  get(url: string, options?: { maxHops?: number; stopBefore?: string }): Promise<Page> {
    return this.request('GET', url, undefined, options);
  }
}

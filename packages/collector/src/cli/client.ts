/** A failure to show the user as one line, with the exit code to leave with. */
export class CliFailure extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliFailure';
    this.exitCode = exitCode;
  }
}

export interface ClientOptions {
  url: string;
  secretToken?: string | undefined;
  apiKey?: string | undefined;
}

/** GETs a query API path from a running collector; every failure becomes a CliFailure. */
export async function getApi<T = any>(client: ClientOptions, path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
  const url = new URL(path, client.url.endsWith('/') ? client.url : `${client.url}/`);
  for (const [key, value] of Object.entries(query)) if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
  const headers: Record<string, string> = { accept: 'application/json' };
  if (client.secretToken) headers.authorization = `Bearer ${client.secretToken}`;
  else if (client.apiKey) headers.authorization = `ApiKey ${client.apiKey}`;
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new CliFailure(`cannot reach the collector at ${client.url} (${cause}); is \`sightline collector\` running? Use --url to point elsewhere.`);
  }
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new CliFailure(`${url.origin} answered ${response.status} with something that is not JSON; is it a Sightline collector?`);
  }
  if (!response.ok) {
    const message = body?.error?.message ?? `HTTP ${response.status}`;
    if (response.status === 401) throw new CliFailure(`${message} (give --secret-token or --api-key)`);
    throw new CliFailure(message);
  }
  return body as T;
}

/**
 * Source maps, so a frame in compiled JavaScript points at the TypeScript the developer wrote.
 * Positions are mapped with Node's own `SourceMap` (no dependency); maps are found through
 * the file's `//# sourceMappingURL=` comment (a sibling file or an inline data: URL) and kept,
 * parsed, in a bounded cache.
 */
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Lru } from './lru.js';
import type { SourceFiles } from './source-files.js';

export interface MappedPosition {
  absPath: string;
  lineno: number;
  colno: number;
  /** The original source's lines from the map's `sourcesContent`, when it has them. */
  sourceLines: string[] | null;
}

interface LoadedMap {
  map: SourceMap;
  /** Raw `sources` entries (as findEntry reports them) to absolute paths. */
  paths: Map<string, string>;
  contents: Map<string, string | string[]>;
}

const MAPPING_URL = /^\s*\/\/[#@]\s*sourceMappingURL=(\S+)\s*$/;
/** The comment is on one of the last lines; a few blank lines after it are tolerated. */
const TAIL_LINES = 5;
const NEWLINE = /\r?\n/;

export class SourceMaps {
  /** null: the file has no usable map (remembered, so we do not look again). */
  private readonly cache: Lru<LoadedMap | null>;
  private readonly loading = new Map<string, Promise<LoadedMap | null>>();

  constructor(
    private readonly files: SourceFiles,
    maxMaps = 100,
    maxBytes = 32 * 1024 * 1024,
  ) {
    this.cache = new Lru(maxMaps, maxBytes);
  }

  /** The original position of 1-based `lineno`/`colno` in `jsPath`, or null if unmapped. */
  async map(jsPath: string, lineno: number, colno: number): Promise<MappedPosition | null> {
    const loaded = await this.load(jsPath);
    if (loaded === null) return null;
    const entry = loaded.map.findEntry(lineno - 1, colno - 1) as Partial<{
      generatedLine: number;
      originalSource: string;
      originalLine: number;
      originalColumn: number;
    }>;
    // findEntry falls back to the nearest earlier mapping, even on another line: that would
    // blame the wrong code, so an unmapped line stays in the JavaScript.
    if (typeof entry.originalSource !== 'string' || entry.generatedLine !== lineno - 1) return null;
    const absPath = loaded.paths.get(entry.originalSource) ?? entry.originalSource;
    return {
      absPath,
      lineno: entry.originalLine! + 1,
      colno: entry.originalColumn! + 1,
      sourceLines: contentLines(loaded, entry.originalSource),
    };
  }

  private load(jsPath: string): Promise<LoadedMap | null> {
    const cached = this.cache.get(jsPath);
    if (cached !== undefined) return Promise.resolve(cached);
    let p = this.loading.get(jsPath);
    if (p === undefined) {
      p = this.read(jsPath).finally(() => this.loading.delete(jsPath));
      this.loading.set(jsPath, p);
    }
    return p;
  }

  private async read(jsPath: string): Promise<LoadedMap | null> {
    let loaded: LoadedMap | null = null;
    let weight = 64;
    try {
      const lines = await this.files.lines(jsPath);
      const url = lines === null ? null : mappingUrl(lines);
      if (url !== null) {
        const found = url.startsWith('data:') ? { json: decodeDataUrl(url), base: jsPath } : await this.readMapFile(jsPath, url);
        if (found.json !== null) {
          loaded = parseMap(found.json, found.base);
          weight = Math.max(found.json.length, 64);
        }
      }
    } catch {
      loaded = null;
    }
    this.cache.set(jsPath, loaded, weight);
    return loaded;
  }

  private async readMapFile(jsPath: string, url: string): Promise<{ json: string | null; base: string }> {
    let mapPath: string;
    if (url.startsWith('file://')) mapPath = fileURLToPath(url);
    else mapPath = resolve(dirname(jsPath), decodeURIComponent(url));
    return { json: await this.files.text(mapPath), base: mapPath };
  }
}

function mappingUrl(lines: string[]): string | null {
  for (let i = lines.length - 1, seen = 0; i >= 0 && seen < TAIL_LINES; i--) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    seen++;
    const m = MAPPING_URL.exec(line);
    if (m !== null) return m[1]!;
  }
  return null;
}

function decodeDataUrl(url: string): string | null {
  const comma = url.indexOf(',');
  if (comma === -1) return null;
  const meta = url.slice(5, comma);
  const data = url.slice(comma + 1);
  return meta.endsWith(';base64') ? Buffer.from(data, 'base64').toString('utf8') : decodeURIComponent(data);
}

/** `base` is the map file (or the JS file for an inline map): sources are relative to it. */
function parseMap(json: string, base: string): LoadedMap | null {
  const payload = JSON.parse(json) as Partial<SourceMapPayload> & { sourcesContent?: unknown };
  if (!Array.isArray(payload.sources) || typeof payload.mappings !== 'string') return null;
  const map = new SourceMap(payload as SourceMapPayload);
  const root = typeof payload.sourceRoot === 'string' ? payload.sourceRoot : '';
  const paths = new Map<string, string>();
  const contents = new Map<string, string | string[]>();
  const sourcesContent = Array.isArray(payload.sourcesContent) ? (payload.sourcesContent as unknown[]) : [];
  for (let i = 0; i < payload.sources.length; i++) {
    const source = payload.sources[i];
    if (typeof source !== 'string') continue;
    const path = sourcePath(root, source, base);
    // Node's SourceMap reports `sources` entries as written; some versions prefix sourceRoot.
    paths.set(source, path);
    if (root !== '') paths.set(root + source, path);
    const content = sourcesContent[i];
    if (typeof content === 'string') {
      contents.set(source, content);
      if (root !== '') contents.set(root + source, content);
    }
  }
  return { map, paths, contents };
}

function sourcePath(root: string, source: string, base: string): string {
  const joined = root === '' || isAbsolute(source) || source.includes('://') ? source : `${root.replace(/\/?$/, '/')}${source}`;
  if (joined.startsWith('file://')) {
    try {
      return fileURLToPath(joined);
    } catch {
      return joined;
    }
  }
  if (joined.includes('://')) return joined;
  return resolve(dirname(base), joined);
}

/** Splits a source's content into lines on first use and keeps the split. */
function contentLines(loaded: LoadedMap, source: string): string[] | null {
  const c = loaded.contents.get(source);
  if (c === undefined) return null;
  if (typeof c !== 'string') return c;
  const lines = c.split(NEWLINE);
  loaded.contents.set(source, lines);
  return lines;
}

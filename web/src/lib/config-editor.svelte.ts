import type { ConfigItem, JsonObject } from '$lib/config-document';
import { toFailure, warningsOf, type Issue } from '$lib/issues';

type Owner = string | undefined;

export interface ConfigEditorOptions {
  /** How the kind is named in notices: `rotation`, `autoselect`. */
  kind: string;
  /** The owner picked on the page (undefined: the caller's own). */
  owner: () => Owner;
  /** Re-reads what the page lists, for the picked owner; a failure shows in the error banner. */
  refresh: () => Promise<void>;
  upsert: (input: { owner: Owner; id: string; config: JsonObject }) => Promise<unknown>;
  remove: (input: { owner: Owner; id: string }) => Promise<unknown>;
}

/** A JSON object, or `{}` for anything else (configs arrive as `unknown`). */
export const asObject = (v: unknown): JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};

/**
 * The list / form / JSON-view controller that the rotations and autoselects pages share: both edit named JSON
 * configs of one kind through `upsert` and `delete`, and show the server's issues and warnings the same way.
 */
export class ConfigEditor {
  error = $state('');
  notice = $state('');
  warnings = $state<Issue[]>([]);
  mode = $state<'list' | 'form' | 'json'>('list');
  editing = $state<{ id: string; config: JsonObject; isNew: boolean }>({ id: '', config: {}, isNew: true });
  serverIssues = $state<Issue[]>([]);

  constructor(private readonly options: ConfigEditorOptions) {}

  load = async (): Promise<void> => {
    try {
      await this.options.refresh();
      this.error = '';
    } catch (e) {
      this.error = toFailure(e).message;
    }
  };

  open = (next: 'form' | 'json', item?: { id: string; config?: unknown }): void => {
    this.serverIssues = [];
    this.notice = '';
    this.editing = item
      ? { id: item.id, config: asObject(item.config), isNew: false }
      : { id: '', config: {}, isNew: true };
    this.mode = next;
  };

  saveOne = async (id: string, config: JsonObject): Promise<void> => {
    const { kind } = this.options;
    this.serverIssues = [];
    try {
      this.warnings = warningsOf(await this.options.upsert({ owner: this.options.owner(), id, config }));
      this.notice = `Saved ${kind} ${id}. Call it as user-${kind}/${id}.`;
      this.mode = 'list';
      await this.load();
    } catch (e) {
      const f = toFailure(e);
      this.serverIssues = f.issues.length > 0 ? f.issues : [{ path: '', message: f.message }];
    }
  };

  saveMany = async (items: ConfigItem[]): Promise<void> => {
    this.serverIssues = [];
    this.warnings = [];
    const saved: string[] = [];
    for (const item of items) {
      try {
        const result = await this.options.upsert({ owner: this.options.owner(), id: item.id, config: item.config });
        this.warnings = [
          ...this.warnings,
          ...warningsOf(result).map((w) => ({ path: `${item.id}.${w.path}`, message: w.message })),
        ];
        saved.push(item.id);
      } catch (e) {
        const f = toFailure(e);
        // Prefix with the id so a document with several items shows which one is wrong.
        this.serverIssues =
          f.issues.length > 0
            ? f.issues.map((i) => ({ path: `${item.id}.${i.path}`, message: i.message }))
            : [{ path: item.id, message: f.message }];
        break;
      }
    }
    if (saved.length > 0) this.notice = `Saved ${saved.join(', ')}.`;
    if (this.serverIssues.length === 0) this.mode = 'list';
    await this.load();
  };

  remove = async (id: string): Promise<void> => {
    try {
      await this.options.remove({ owner: this.options.owner(), id });
      this.notice = `Deleted ${this.options.kind} ${id}.`;
      await this.load();
    } catch (e) {
      this.error = toFailure(e).message;
    }
  };
}

export const createConfigEditor = (options: ConfigEditorOptions): ConfigEditor => new ConfigEditor(options);

// Fields bound to a path of the policy draft, each showing the API's problem for its path.
import { useState } from 'react';
import { Checkbox, Select, TextField } from '../../components/ui';
import { getIn, lines, numberOrRaw, type Path, type Problems } from './draft';

export interface Bind {
  doc: unknown;
  set: (path: Path, value: unknown) => void;
  problems: Problems;
  readOnly: boolean;
}

export function TextAt({
  b,
  path,
  label,
  description,
}: {
  b: Bind;
  path: Path;
  label: string;
  description?: string;
}) {
  const v = getIn(b.doc, path);
  return (
    <TextField
      label={label}
      description={description}
      value={typeof v === 'string' ? v : ''}
      onChange={(t) => b.set(path, t === '' ? undefined : t)}
      error={b.problems.at(...path)}
      isReadOnly={b.readOnly}
    />
  );
}

/** Kept as typed while editing; sent as a number when it is one (else the API names it). */
export function NumberAt({
  b,
  path,
  label,
  description,
}: {
  b: Bind;
  path: Path;
  label: string;
  description?: string;
}) {
  const v = getIn(b.doc, path);
  const [text, setText] = useState(v === undefined ? '' : String(v));
  return (
    <TextField
      label={label}
      description={description}
      value={text}
      onChange={(t) => {
        setText(t);
        b.set(path, numberOrRaw(t));
      }}
      error={b.problems.at(...path)}
      isReadOnly={b.readOnly}
      className="narrow"
    />
  );
}

export function ListAt({
  b,
  path,
  label,
  description,
}: {
  b: Bind;
  path: Path;
  label: string;
  description?: string;
}) {
  const v = getIn(b.doc, path);
  const [text, setText] = useState(Array.isArray(v) ? v.join('\n') : '');
  return (
    <TextField
      label={label}
      description={description ?? 'One a line'}
      multiline
      value={text}
      onChange={(t) => {
        setText(t);
        b.set(path, lines(t));
      }}
      error={b.problems.at(...path)}
      isReadOnly={b.readOnly}
    />
  );
}

/** "public = upstream-name" lines <-> an alias record. */
export function AliasesAt({ b, path, label }: { b: Bind; path: Path; label: string }) {
  const v = (getIn(b.doc, path) ?? {}) as Record<string, string>;
  const [text, setText] = useState(
    Object.entries(v)
      .map(([k, t]) => `${k} = ${t}`)
      .join('\n'),
  );
  return (
    <TextField
      label={label}
      description="public name = the upstream's model name, one a line"
      multiline
      value={text}
      onChange={(t) => {
        setText(t);
        const out: Record<string, string> = {};
        for (const line of t.split('\n')) {
          const [k, ...rest] = line.split('=');
          if (k?.trim() && rest.length) out[k.trim()] = rest.join('=').trim();
        }
        b.set(path, out);
      }}
      error={b.problems.at(...path)}
      isReadOnly={b.readOnly}
    />
  );
}

export function BoolAt({ b, path, label }: { b: Bind; path: Path; label: string }) {
  return (
    <Checkbox
      label={label}
      checked={getIn(b.doc, path) === true}
      onChange={(c) => b.set(path, c)}
      isDisabled={b.readOnly}
    />
  );
}

export function ChoiceAt<K extends string>({
  b,
  path,
  label,
  options,
}: {
  b: Bind;
  path: Path;
  label: string;
  options: readonly { id: K; label: string }[];
}) {
  return (
    <Select
      label={label}
      value={getIn(b.doc, path) as K}
      options={options}
      onChange={(v) => b.set(path, v)}
      isDisabled={b.readOnly}
      error={b.problems.at(...path)}
    />
  );
}

// The console's building blocks: React Aria Components (accessible behaviour, no styles of
// their own) dressed by styles.css. Nothing here injects <style> tags or style attributes.
import type { UseQueryResult } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import {
  Button as AriaButton,
  type ButtonProps,
  Checkbox as AriaCheckbox,
  Dialog,
  DialogTrigger,
  FieldError,
  Heading,
  Input,
  Label,
  ListBox,
  ListBoxItem,
  Modal,
  ModalOverlay,
  Popover,
  Select as AriaSelect,
  SelectValue,
  Text,
  TextArea,
  TextField as AriaTextField,
} from 'react-aria-components';
import { ApiError } from '../api/client';

export function Button({
  variant = 'secondary',
  className,
  ...props
}: ButtonProps & { variant?: 'primary' | 'secondary' | 'danger' | 'link' }) {
  return (
    <AriaButton
      {...props}
      className={`btn btn-${variant} ${typeof className === 'string' ? className : ''}`}
    />
  );
}

export function TextField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  description?: string;
  type?: 'text' | 'password' | 'email' | 'number' | 'url' | 'search';
  multiline?: boolean;
  isRequired?: boolean;
  isReadOnly?: boolean;
  autoComplete?: string;
  placeholder?: string;
  name?: string;
  className?: string;
}) {
  return (
    <AriaTextField
      className={`field ${props.className ?? ''}`}
      value={props.value}
      onChange={props.onChange}
      isInvalid={Boolean(props.error)}
      isRequired={props.isRequired}
      isReadOnly={props.isReadOnly}
      type={props.multiline ? undefined : (props.type ?? 'text')}
      autoComplete={props.autoComplete}
      name={props.name}
      validationBehavior="aria"
    >
      <Label>{props.label}</Label>
      {props.multiline ? (
        <TextArea rows={6} placeholder={props.placeholder} />
      ) : (
        <Input placeholder={props.placeholder} />
      )}
      {props.description && <Text slot="description">{props.description}</Text>}
      <FieldError>{props.error}</FieldError>
    </AriaTextField>
  );
}

export function Select<K extends string>(props: {
  label: string;
  value: K;
  options: readonly { id: K; label: string }[];
  onChange: (v: K) => void;
  isDisabled?: boolean;
  error?: string;
}) {
  return (
    <AriaSelect
      className="field select"
      selectedKey={props.value}
      onSelectionChange={(k) => k !== null && props.onChange(String(k) as K)}
      isDisabled={props.isDisabled}
      isInvalid={Boolean(props.error)}
      validationBehavior="aria"
    >
      <Label>{props.label}</Label>
      <AriaButton className="select-trigger">
        <SelectValue />
        <span aria-hidden="true" className="chevron">
          ▾
        </span>
      </AriaButton>
      <FieldError>{props.error}</FieldError>
      <Popover className="popover">
        <ListBox className="listbox" items={props.options}>
          {(o) => (
            <ListBoxItem id={o.id} className="option" textValue={o.label}>
              {o.label}
            </ListBoxItem>
          )}
        </ListBox>
      </Popover>
    </AriaSelect>
  );
}

export function Checkbox(props: {
  label: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  isDisabled?: boolean;
}) {
  return (
    <AriaCheckbox
      className="checkbox"
      isSelected={props.checked}
      onChange={props.onChange}
      isDisabled={props.isDisabled}
    >
      <span className="box" aria-hidden="true">
        {props.checked ? '✓' : ''}
      </span>
      {props.label}
    </AriaCheckbox>
  );
}

/** A confirmation dialog: focus moves in, Escape closes, the action runs on confirm. */
export function Confirm(props: {
  trigger: string;
  title: string;
  body: ReactNode;
  confirm: string;
  onConfirm: () => void;
  variant?: 'danger' | 'primary';
  triggerLabel?: string;
}) {
  return (
    <DialogTrigger>
      <Button variant={props.variant === 'primary' ? 'secondary' : 'danger'} aria-label={props.triggerLabel}>
        {props.trigger}
      </Button>
      <ModalOverlay className="overlay" isDismissable>
        <Modal className="modal">
          <Dialog className="dialog" role="alertdialog">
            {({ close }) => (
              <>
                <Heading slot="title">{props.title}</Heading>
                <div>{props.body}</div>
                <div className="row end">
                  <Button onPress={close}>Cancel</Button>
                  <Button
                    variant={props.variant ?? 'danger'}
                    onPress={() => {
                      props.onConfirm();
                      close();
                    }}
                  >
                    {props.confirm}
                  </Button>
                </div>
              </>
            )}
          </Dialog>
        </Modal>
      </ModalOverlay>
    </DialogTrigger>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="state loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

/** Refusals a person can act on, by the API's stable code (docs/errors.md); the API's message otherwise. */
const ACTIONABLE: Record<string, string> = {
  last_owner: 'The last owner cannot be demoted or removed. Make someone else owner first, then try again.',
  self_change: 'Nobody can change their own role or remove themselves. Ask another owner or admin.',
  unauthenticated: 'Your session has ended. Sign in again.',
  ip_not_allowed: "Admin actions are not allowed from your network address (the org's IP allowlist).",
  no_owner_path:
    'This would leave the organisation with no way to get an owner: name a pending owner or map an IdP group to owner first.',
};

/** The 403 codes that refine `forbidden`: shown as "Not allowed: <the API's reason>". */
const REFUSED = new Set([
  'forbidden',
  'model_forbidden',
  'offline_refuses_cloud',
  'email_domain_not_allowed',
  'platform_admin_required',
  'account_disabled',
  'destination_refused',
]);

export function explain(error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  const known = ACTIONABLE[error.code];
  if (known) return known;
  if (REFUSED.has(error.code)) return `Not allowed: ${error.message}.`;
  if (error.code === 'network_error') return error.message;
  return (
    error.message.charAt(0).toUpperCase() + error.message.slice(1) + (error.message.endsWith('.') ? '' : '.')
  );
}

export function ErrorBox({ error, retry }: { error: unknown; retry?: () => void }) {
  const api = error instanceof ApiError ? error : undefined;
  return (
    <div className="state error" role="alert">
      <p>{explain(error)}</p>
      {api && (
        <p className="muted small">
          code <code>{api.code}</code>
          {api.requestId ? (
            <>
              {' '}
              · request <code>{api.requestId}</code>
            </>
          ) : null}
        </p>
      )}
      {retry && <Button onPress={retry}>Try again</Button>}
    </div>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <Button
      onPress={() => {
        void navigator.clipboard?.writeText(text).then(
          () => setDone(true),
          () => setDone(false),
        );
      }}
    >
      {done ? 'Copied' : label}
    </Button>
  );
}

export function Page({
  title,
  children,
  actions,
}: {
  title: string;
  children: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-head">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/**
 * A list query's loading, error (with retry) and empty states, the same on every screen; the
 * rows go to children only once there are some.
 */
export function QueryRows<T>({
  query,
  what,
  empty,
  children,
}: {
  query: UseQueryResult<{ data: T[] }>;
  what: string;
  empty: ReactNode;
  children: (rows: T[]) => ReactNode;
}) {
  if (query.isPending) return <Loading what={what} />;
  if (query.isError) return <ErrorBox error={query.error} retry={() => void query.refetch()} />;
  if (query.data.data.length === 0) return <Empty>{empty}</Empty>;
  return <>{children(query.data.data)}</>;
}

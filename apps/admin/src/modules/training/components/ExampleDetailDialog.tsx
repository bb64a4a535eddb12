import type { TrainingExampleView } from '@margin/contracts';
import { formatDateTime } from '../../../shared/format/dates';
import { formatCount, formatUsd } from '../../../shared/format/money';
import { Dialog } from '../../publishing/components/Dialog';

const pretty = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** One recorded call: the messages sent, the answer, what it cost and how it was judged and rated. */
export function ExampleDetailDialog({ example, onClose }: { example: TrainingExampleView; onClose: () => void }) {
  const f = example.feedback;
  return (
    <Dialog title={`Example ${example.id.slice(0, 8)}`} onClose={onClose}>
      <dl className="facts example-facts">
        <dt>Model</dt>
        <dd>
          <code>{example.model}</code>
          {example.emulated ? ' (emulated)' : ''}
        </dd>
        <dt>Profile</dt>
        <dd>{example.profileKey ? `${example.profileKey} v${example.profileVersion ?? '?'}` : '—'}</dd>
        <dt>Operation</dt>
        <dd>
          {example.operation}
          {example.step ? ` · step ${example.step}` : ''}
        </dd>
        <dt>Tokens</dt>
        <dd>
          {formatCount(example.inputTokens)} in · {formatCount(example.outputTokens)} out
        </dd>
        <dt>Cost</dt>
        <dd>{formatUsd(example.costUsd)}</dd>
        <dt>Latency</dt>
        <dd>{formatCount(example.latencyMs)} ms</dd>
        <dt>Quality</dt>
        <dd>{example.quality === null ? '—' : example.quality}</dd>
        <dt>Recorded</dt>
        <dd>{formatDateTime(example.createdAt)}</dd>
        <dt>Feedback</dt>
        <dd>
          {f
            ? `Rated ${f.rating}/5${f.approved === true ? ', approved' : f.approved === false ? ', not approved' : ''}${f.edited ? ', corrected' : ''}${f.comment ? `: “${f.comment}”` : ''}`
            : 'None'}
        </dd>
      </dl>
      <h3 className="feedback__title">Messages</h3>
      <ol className="messages" aria-label="Messages">
        {example.messages.map((message, index) => (
          <li key={index} className="messages__item">
            <p className="messages__role small">{message.role}</p>
            <pre className="json" tabIndex={0}>
              {pretty(message.content)}
            </pre>
          </li>
        ))}
      </ol>
      <h3 className="feedback__title">Output</h3>
      <pre className="json" tabIndex={0} aria-label="Output">
        {pretty(example.output)}
      </pre>
    </Dialog>
  );
}

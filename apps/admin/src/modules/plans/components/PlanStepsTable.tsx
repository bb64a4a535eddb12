import type { ModelView, RequestPlanView } from '@margin/contracts';
import { formatDuration } from '../../../shared/format/duration';
import { formatCount, formatUsd } from '../../../shared/format/money';

interface PlanStepsTableProps {
  plan: RequestPlanView;
  /** The catalog's models, for the per-step choice; undefined while it loads (or when it failed). */
  models: ModelView[] | undefined;
  /** Changes a step's model (null: back to the router's choice); undefined when the plan cannot be changed. */
  onChooseModel?: (step: string, model: string | null) => void;
  pending: boolean;
}

/** The plan step by step: which model, why, how many calls and tokens, what it costs and takes. */
export function PlanStepsTable({ plan, models, onChooseModel, pending }: PlanStepsTableProps) {
  const calls = plan.steps.reduce((sum, step) => sum + step.calls, 0);
  return (
    <div className="table-wrap" role="region" aria-label="Plan steps" tabIndex={0}>
      <table className="table table--compact">
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Operation</th>
            <th scope="col">Model</th>
            <th scope="col">Reason</th>
            <th scope="col" className="num">
              Calls
            </th>
            <th scope="col" className="num">
              Tokens (in / out)
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col" className="num">
              Worst case
            </th>
            <th scope="col" className="num">
              Time
            </th>
          </tr>
        </thead>
        <tbody>
          {plan.steps.map((step) => (
            <tr key={step.step}>
              <th scope="row">{step.step}</th>
              <td>
                <code>{step.operation}</code>
              </td>
              <td>
                {onChooseModel ? (
                  <ModelSelect
                    step={step.step}
                    current={step.model}
                    pinned={step.pinned}
                    models={models}
                    disabled={pending}
                    onChange={(model) => onChooseModel(step.step, model)}
                  />
                ) : step.model ? (
                  <code>{step.model}</code>
                ) : (
                  'No model available'
                )}
                {step.pinned ? <span className="table__detail">Chosen by hand</span> : null}
              </td>
              <td className="table__wrap-cell">{step.reason}</td>
              <td className="num">{formatCount(step.calls)}</td>
              <td className="num">
                {formatCount(step.inputTokens)} / {formatCount(step.outputTokens)}
              </td>
              <td className="num">{formatUsd(step.costUsd)}</td>
              <td className="num">{formatUsd(step.worstCaseUsd)}</td>
              <td className="num">{formatDuration(step.seconds)}</td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <th scope="row" colSpan={4}>
              Total
            </th>
            <td className="num">{formatCount(calls)}</td>
            <td />
            <td className="num">{formatUsd(plan.costUsd)}</td>
            <td className="num">{formatUsd(plan.worstCaseUsd)}</td>
            <td className="num">{formatDuration(plan.seconds)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

interface ModelSelectProps {
  step: string;
  current: string | null;
  pinned: boolean;
  models: ModelView[] | undefined;
  disabled: boolean;
  onChange: (model: string | null) => void;
}

const ROUTER_CHOICE = '';

function ModelSelect({ step, current, pinned, models, disabled, onChange }: ModelSelectProps) {
  const ids = (models ?? []).filter((model) => model.enabled).map((model) => model.id);
  // The plan's model stays choosable even when the catalog has not loaded or no longer lists it.
  if (current && !ids.includes(current)) ids.unshift(current);
  const routerLabel = !pinned && current ? `Router’s choice (${current})` : 'Router’s choice';
  return (
    <select
      aria-label={`Model for ${step}`}
      value={pinned && current ? current : ROUTER_CHOICE}
      disabled={disabled}
      onChange={(event) => onChange(event.target.value === ROUTER_CHOICE ? null : event.target.value)}
    >
      <option value={ROUTER_CHOICE}>{routerLabel}</option>
      {ids.map((id) => (
        <option key={id} value={id}>
          {id}
        </option>
      ))}
    </select>
  );
}

import { useMemo, useState } from 'react';
import { Link } from 'react-router-dom';
import { usePermissions } from '../../auth/hooks/usePermissions';
import { EMPTY_FILTERS, filtersQuery, type ExampleFilterForm } from '../types/exampleFilters';
import { DatasetsSection } from './DatasetsSection';
import { ExampleFiltersForm } from './ExampleFiltersForm';
import { ExamplesSection } from './ExamplesSection';
import { ExportPanel } from './ExportPanel';
import { TrainingSettingsCard } from './TrainingSettingsCard';
import './training.css';

/** The learning loop's data: recorded examples, their exports and frozen datasets, and whether recording is on. */
export function TrainingPage() {
  const permissions = usePermissions();
  const [applied, setApplied] = useState<ExampleFilterForm>(EMPTY_FILTERS);
  const filters = useMemo(() => filtersQuery(applied), [applied]);

  return (
    <>
      <div className="page-header">
        <h1>Training</h1>
        <p className="muted">
          Every answered call is recorded as an example; rate and correct results from a job’s items, export them for fine-tuning, and check models on{' '}
          <Link to="/evals">evals</Link> and <Link to="/ab-tests">A/B tests</Link>.
        </p>
      </div>
      <div className="training-top">
        <TrainingSettingsCard canEdit={permissions?.isAdmin ?? false} />
        <ExportPanel filters={filters} />
      </div>
      <ExampleFiltersForm applied={applied} onApply={setApplied} />
      <ExamplesSection filters={filters} />
      <DatasetsSection filters={filters} canWrite={permissions?.canRunJobs ?? false} />
    </>
  );
}

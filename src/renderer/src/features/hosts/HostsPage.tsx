import { useApp } from '../../stores/context';
import { ApprovalQueue } from './ApprovalQueue';
import { HostsTable } from './HostsTable';

export function HostsPage() {
  const openAddHost = useApp((s) => s.setAddHostOpen);
  return (
    <>
      <div className="page-header">
        <h1 tabIndex={-1}>Hosts</h1>
        <button type="button" className="primary" onClick={() => openAddHost(true)}>
          Add Host
        </button>
      </div>
      <ApprovalQueue />
      <HostsTable />
    </>
  );
}

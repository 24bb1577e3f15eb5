"""Continuum's validity bookkeeping for new rows, one statement per table.

With the ``validity`` strategy every version row carries the transaction
that ended it (``end_transaction_id``). Continuum keeps that column true by
querying, for each version it writes, the version before it of the same
record, and closing it. For a brand-new record there is almost never such a
version, yet the query is built and sent all the same: a registration
writes about fifteen new rows and paid fifteen such round trips, a quarter
of its time, and an offline sync of receipts the same share.

``BatchedInsertValidity`` keeps Continuum's rule and changes its cost. A new
record's predecessor exists only when a key comes back (a deleted record
restored with its old id, a key SQLite hands out again after the highest
row was deleted); for those the open version must still be closed. Instead
of one query per new row, the keys inserted in a flush are gathered per
version table and closed by one ``UPDATE ... WHERE id IN (...)`` after
Continuum has written the flush's versions. Updates and deletes keep
Continuum's own per-row path.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy_continuum.operation import Operation
from sqlalchemy_continuum.unit_of_work import UnitOfWork
from sqlalchemy_continuum.utils import end_tx_column_name, tx_column_name

#: Keys per UPDATE: well inside every driver's limit on bound parameters.
CHUNK = 500


class BatchedInsertValidity(UnitOfWork):
    """A Continuum unit of work that closes new rows' predecessors in bulk."""

    def reset(self, session: Any = None) -> None:
        super().reset(session)
        self._inserted: dict[tuple[sa.Table, str, str, str], list[Any]] = defaultdict(
            list
        )

    def update_version_validity(self, parent: Any, version_obj: Any) -> None:
        """Defer the new row's check to the flush's batch; others as Continuum."""
        if version_obj.operation_type != Operation.INSERT:
            super().update_version_validity(parent, version_obj)
            return
        for class_ in type(version_obj).__mro__:
            if class_ not in self.manager.parent_class_map:
                continue
            table = class_.__table__
            tx_column = tx_column_name(version_obj)
            keys = [c.key for c in table.primary_key.columns if c.key != tx_column]
            if len(keys) != 1:
                # Composite keys are rare here; Continuum's own query handles them.
                super().update_version_validity(parent, version_obj)
                return
            entry = (table, keys[0], tx_column, end_tx_column_name(version_obj))
            self._inserted[entry].append(getattr(version_obj, keys[0]))

    def create_version_objects(self, session: Any) -> None:
        super().create_version_objects(session)
        if not self._inserted or self.current_transaction is None:
            return
        pending, self._inserted = self._inserted, defaultdict(list)
        current = self.current_transaction.id
        for (table, key, tx_column, end_column), ids in pending.items():
            for start in range(0, len(ids), CHUNK):
                self.version_session.execute(
                    sa.update(table)
                    .where(
                        table.c[key].in_(ids[start : start + CHUNK]),
                        table.c[end_column].is_(None),
                        table.c[tx_column] != current,
                    )
                    .values({end_column: current})
                    .execution_options(synchronize_session=False)
                )

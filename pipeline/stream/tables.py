"""faust's table manager, without the second it waits at every start.

``faust.tables.TableManager.on_start`` sleeps one second before it closes the list of
tables and starts their recovery, so that a table declared after the app started still
registers; the conductor subscribes to no topic until then. The processor declares its one
table in ``make_app``, before the worker starts, so that second only delayed every start,
and with it the first story and every take-over after a failure (issue 16: the
``[^---Conductor]: Waiting for tables to be registered...`` line of a ``--log-level debug``
start, one second before ``[^---Table: dedup-state]: Starting...``).

A table declared after the start would not be recovered: faust's own manager raises
"Too late to add tables at this point" for it (``TableManager.add``), and still does.
"""

from __future__ import annotations

from faust.tables import TableManager


class PromptTableManager(TableManager):
    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()

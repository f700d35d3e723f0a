"""Each service instance's bulk job runner: a thread that claims unfinished jobs and runs them.

Jobs live in the database (rows stored with the job, a lease naming the runner),
so whichever instance is up picks up a job another one left: uploaded elsewhere,
interrupted by a crash, or handed back at shutdown.
"""

from __future__ import annotations

import logging
import threading

from .issuing import IssuerService, LeaseLost, ServiceError

log = logging.getLogger("vaxcert.issuer")


class BulkRunner:
    def __init__(self, service: IssuerService, poll_seconds: float) -> None:
        self._service = service
        self._poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vaxcert-bulk", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """A job was just uploaded here: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current batch; the job's lease is handed back for another instance."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                job = self._service.claim_job()
                if job is not None:
                    self._service.run_job(job, stop=self._stop)
                    continue  # look for the next job at once
            except LeaseLost as exc:
                log.warning("bulk job %d: lease lost, another instance took the job over", exc.job_id)
            except ServiceError as exc:  # HSM or database outage: the job waits, and is retried
                log.warning("bulk job paused: %s", exc.code)
            except Exception as exc:  # the runner must outlive anything; the type only, the text may hold data
                log.error("bulk runner: %s", type(exc).__name__)
            self._wake.wait(self._poll_seconds)
            self._wake.clear()

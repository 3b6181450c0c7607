"""``qpid-printevents --json`` keeps up with 1,000 events a second from one broker, losing none.

A double raises ``EVENTS`` queueRedirect events, paced at ``RATE`` a second, while the tool
(``--json --class queueRedirect --count EVENTS``) prints them. It passes when the tool printed
every event, each exactly once, and finished within ``LAG_S`` of the last event raised.
The double stands in for qpidd here: how fast a real qpidd raises events is not measured.

Run: ``.venv/bin/python bench/bench_printevents.py``. Exit status 1 when over the target.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from common import script, verdict

from qpidtools.testing import BrokerDouble, wait_for
from qpidtools.testing.model import LOCK

RATE = 1000
EVENTS = 5000
BATCH = 10
LAG_S = 1.0


def main() -> int:
    with BrokerDouble() as double:
        argv = [script("qpid-printevents"), double.address, "--json", "--class", "queueRedirect"]
        tool = subprocess.Popen([*argv, "--count", str(EVENTS)], stdout=subprocess.PIPE, text=True)
        wait_for(
            lambda: any(name.endswith("qmf.default.topic") for name in list(double.state.queues)),
            what="the tool's subscription",
        )
        start = time.perf_counter()
        for first in range(0, EVENTS, BATCH):  # BATCH events every BATCH / RATE seconds
            time.sleep(max(start + first / RATE - time.perf_counter(), 0))
            with LOCK:
                for number in range(first, first + BATCH):
                    double.state.event("queueRedirect", {"qName": f"q{number}", "qTarget": "t"})
        raised = time.perf_counter()
        try:
            out, _ = tool.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            tool.kill()
            out, _ = tool.communicate()
        finished = time.perf_counter()
    names = [json.loads(line)["arguments"]["qName"] for line in out.splitlines()]
    lost = EVENTS - len(set(names))
    rate = EVENTS / (raised - start)
    print(f"raised {EVENTS} events at {rate:.0f}/s; printed {len(names)}, lost {lost}")
    in_time = verdict("printed after the last event", finished - raised, LAG_S)
    fast_enough = verdict("time to raise them", raised - start, EVENTS / RATE * 1.02)
    return 0 if in_time and fast_enough and lost == 0 and len(names) == EVENTS else 1


if __name__ == "__main__":
    sys.exit(main())

"""Demo data for the home-services front desk, laid out relative to today so it never goes stale."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable

from tools.sqlite_store import SQLiteBackend

SERVICE_AREAS = {
    "60614": "Lincoln Park",
    "60618": "Avondale",
    "60622": "Wicker Park",
    "60640": "Uptown",
    "60657": "Lakeview",
}
TECHNICIANS = [
    ("T-1", "Marco", "plumbing"), ("T-2", "Priya", "plumbing"),
    ("T-3", "Devon", "hvac"), ("T-4", "Hannah", "hvac"),
    ("T-5", "Luis", "electrical"), ("T-6", "Grace", "electrical"),
]  # fmt: skip
# Fictional numbers in the 555-01xx block, reserved for fiction.
CUSTOMERS = [
    ("C-1001", "Dana", "Whitfield", "+13125550142", "60614", "2140 N Clark St"),
    ("C-1002", "Sam", "Ortiz", "+13125550143", "60657", "3312 N Broadway"),
    ("C-1003", "Lee", "Park", "+13125550144", "60622", "1520 N Damen Ave"),
    ("C-1004", "Maria", "Lopez", "+17735550145", "60640", "4800 N Sheridan Rd"),
    ("C-1005", "Chris", "Young", "+17735550146", "60618", "3100 N Kedzie Ave"),
    ("C-1006", "Ana", "Diaz", "+13125550147", "60614", "618 W Fullerton Pkwy"),
    ("C-1007", "Kim", "Lee", "+13125550148", "60657", "920 W Belmont Ave"),
    ("C-1008", "Omar", "Haddad", "+17735550149", "60640", "1010 W Lawrence Ave"),
]
SLOT_HOURS = (8, 10, 13, 15)
DAYS_AHEAD = 14


def seed(
    store: SQLiteBackend, *, reset: bool = False, progress: Callable[[str], None] = print
) -> dict[str, int]:
    today = dt.date.today()
    with contextlib.closing(store._connect()) as conn:
        conn.execute("BEGIN IMMEDIATE")
        if reset:
            for table in (
                "idempotency",
                "callbacks",
                "tickets",
                "jobs",
                "appointments",
                "slots",
                "technicians",
                "service_areas",
                "customers",
            ):
                conn.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
        elif conn.execute("SELECT COUNT(*) FROM customers").fetchone()[0]:
            conn.execute("ROLLBACK")
            progress("seed: the store already has data (use --reset to start over)")
            return {"customers": store.count("customers"), "slots": store.count("slots")}
        conn.executemany("INSERT INTO service_areas VALUES (?, ?)", SERVICE_AREAS.items())
        conn.executemany("INSERT INTO technicians VALUES (?, ?, ?)", TECHNICIANS)
        conn.executemany("INSERT INTO customers VALUES (?, ?, ?, ?, ?, ?)", CUSTOMERS)
        progress(
            f"seed: {len(CUSTOMERS)} customers, {len(TECHNICIANS)} technicians, {len(SERVICE_AREAS)} service areas"
        )
        slots = []
        for offset in range(1, DAYS_AHEAD + 1):
            # Every day has slots, weekends included: the demo and the tests book "tomorrow" or
            # "in three days" on whatever day they run, and a closed day would fail them weekly.
            day = today + dt.timedelta(days=offset)
            for technician_id, _name, service in TECHNICIANS:
                for hour in SLOT_HOURS:
                    starts = dt.datetime.combine(day, dt.time(hour))
                    slots.append(
                        (
                            f"S-{day:%m%d}-{hour:02d}-{technician_id}",
                            service,
                            starts.isoformat(),
                            technician_id,
                            0,
                        )
                    )
        conn.executemany("INSERT INTO slots VALUES (?, ?, ?, ?, ?)", slots)
        progress(f"seed: {len(slots)} open slots over the next {DAYS_AHEAD} days")
        # history: a past job, an open ticket and an upcoming appointment for some customers
        past = (dt.datetime.now() - dt.timedelta(days=40)).isoformat(timespec="minutes")
        conn.executemany(
            "INSERT INTO jobs VALUES (?, ?, ?, ?, ?, ?)",
            [
                ("J-3001", "C-1001", "plumbing", "completed", "replaced kitchen faucet", past),
                (
                    "J-3002",
                    "C-1002",
                    "hvac",
                    "en_route",
                    "furnace not igniting",
                    dt.datetime.now().isoformat(timespec="minutes"),
                ),
                ("J-3003", "C-1004", "electrical", "completed", "installed GFCI outlets", past),
            ],
        )
        conn.execute(
            "INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?)",
            ("TK-2001", "C-1003", "invoice question about last visit", "normal", "open", past),
        )
        first_slot = slots[0]
        conn.execute("UPDATE slots SET taken = 1 WHERE slot_id = ?", (first_slot[0],))
        conn.execute(
            "INSERT INTO appointments VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                "APT-1042",
                "C-1001",
                first_slot[0],
                first_slot[1],
                first_slot[2],
                "annual maintenance",
                "booked",
            ),
        )
        conn.execute("COMMIT")
    return {"customers": len(CUSTOMERS), "slots": len(slots)}

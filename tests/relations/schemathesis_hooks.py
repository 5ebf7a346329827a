"""What the OpenAPI document cannot say about an activity, supplied for the schema-valid
requests schemathesis generates (tests/api/test_schemathesis.py does the same for the
account and owner references): the contacts and recipients named are contacts of the
reference account, and the participants are people who exist.

Importing this module registers the hook for every schema (a global schemathesis hook).
tests/relations/conftest.py imports it, so it is active whenever tests/relations is part
of the run; tests/api/test_schemathesis.py should import it too, to be complete alone.
"""

from __future__ import annotations

from typing import Any

import schemathesis

CONTACT = "ST-CONTACT"  # the reference contact of tests/api/test_schemathesis.py
DIRECTOR = "st-director"  # the reference user


@schemathesis.hook("map_case")
def activity_references(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if not positive or not isinstance(case.body, dict):
        return case
    if not case.operation.path.startswith("/api/activities"):
        return case
    body = dict(case.body)
    for name in ("contacts", "recipients"):
        if isinstance(body.get(name), list):
            body[name] = [CONTACT] if body[name] else []
    if isinstance(body.get("participants"), list):
        body["participants"] = [DIRECTOR] if body["participants"] else []
    case.body = body
    return case

"""schemathesis against /api/v1/openapi.json: no server error, no answer that breaks the document.

Cases are generated from the document itself (valid and invalid inputs), sent through Django's
WSGI application on the test database with a key of Acme. Half of the generated ids are swapped for
real objects of Acme, so that 200 answers are checked as well as 404s. The examples per operation
are bounded to keep the suite quick on two cores.
"""

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api_support import api_client_for
from tests.conftest import populate

EXAMPLES_PER_OPERATION = 15
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Path parameter -> the id of a real object of the key's workspace (set by the `api_schema` fixture).
KNOWN_IDS: dict[str, int] = {}


@schemathesis.hook
def map_path_parameters(context, path_parameters: dict | None) -> dict | None:
    """Name a real object for even generated ids; odd ones stay random (mostly 404)."""
    if not path_parameters:
        return path_parameters
    return {
        name: KNOWN_IDS.get(name, value) if isinstance(value, int) and value % 2 == 0 else value
        for name, value in path_parameters.items()
    }


@pytest.fixture
def api_token(world) -> str:
    return api_client_for(world.acme, world.alice).token


@pytest.fixture
def objects(world, settings):
    settings.SYNCAPP_API_RATE_LIMIT_PER_MINUTE = 10**9  # the generated requests are not the limit's test
    acme = populate(world.acme)
    populate(world.globex)
    KNOWN_IDS.clear()
    KNOWN_IDS.update(
        syncId=acme["sync"].pk,
        sourceId=acme["source"].pk,
        modelId=acme["model"].pk,
        destinationId=acme["destination"].pk,
    )
    # Django closes the connection when a request starts and ends, which would end the test's
    # transaction: the test client does not, and neither may this WSGI application in a test.
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


# Fetching the document touches no database, so it can be loaded when the module is collected.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_to_its_openapi_document(case, objects, api_token):
    case.call_and_validate(headers={"Authorization": f"Bearer {api_token}"}, checks=CHECKS)

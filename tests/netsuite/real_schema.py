"""NetSuite's real 2023.2 WSDL and XSDs (../shared/netsuite-wsdl-2023_2), for tests only.

`validate_soap_message` checks every header entry, body element and fault detail of a SOAP envelope
against the real schemas, so a test can prove that what the adapter sends and what the sandbox
answers is what NetSuite itself defines. The files are never copied into the project.
"""

import functools
import os
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

ROOT = Path(__file__).resolve().parents[2]
WSDL_DIR = Path(os.environ.get("NETSUITE_WSDL_DIR", ROOT.parent / "shared" / "netsuite-wsdl-2023_2"))
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
# The schemas whose elements syncapp's messages use; they import the rest they need.
SCHEMA_FILES = [
    "platform.messages.xsd",
    "platform.faults.xsd",
    "lists.relationships.xsd",
    "lists.accounting.xsd",
    "setup.customization.xsd",
]


def real_wsdl_path() -> Path:
    path = WSDL_DIR / "netsuite.wsdl"
    if not path.exists():
        pytest.fail(f"NetSuite's real WSDL is missing at {path}: tests need ../shared beside the clone")
    return path


@functools.cache
def real_schema() -> xmlschema.XMLSchema:
    real_wsdl_path()
    return xmlschema.XMLSchema([str(WSDL_DIR / "xsd" / name) for name in SCHEMA_FILES])


def validate_soap_message(message: bytes | str) -> etree._Element:
    """Validate a SOAP 1.1 envelope's header entries, body and fault details; return the envelope.

    Raises xmlschema.XMLSchemaValidationError naming the first part that breaks the real schema.
    """
    if isinstance(message, str):
        message = message.encode()
    envelope = etree.fromstring(message)
    assert envelope.tag == f"{{{SOAP_ENV}}}Envelope", f"not a SOAP 1.1 envelope: {envelope.tag}"
    schema = real_schema()
    header = envelope.find(f"{{{SOAP_ENV}}}Header")
    body = envelope.find(f"{{{SOAP_ENV}}}Body")
    assert body is not None and len(body), "the envelope has no body element"
    parts = list(header) if header is not None else []
    for element in body:
        if element.tag == f"{{{SOAP_ENV}}}Fault":
            detail = element.find("detail")
            parts.extend(detail if detail is not None else [])
        else:
            parts.append(element)
    for part in parts:
        schema.validate(etree.tostring(part))
    return envelope

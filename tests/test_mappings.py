"""Column values survive planning (kept as JSON) and are cast to the destination field's type."""

import datetime
import json
from decimal import Decimal

import pytest

from destinations.adapters import FieldSpec
from syncs.mappings import CastError, build_record, from_json_value, to_json_value

FIELDS = {
    "comments": FieldSpec("comments", "Comments", "text"),
    "isInactive": FieldSpec("isInactive", "Inactive", "checkbox"),
    "creditLimit": FieldSpec("creditLimit", "Credit limit", "currency"),
}


@pytest.mark.parametrize(
    "value",
    [
        "text",
        7,
        2.5,
        float("nan"),
        True,
        None,
        Decimal("1.50"),
        datetime.date(2026, 1, 2),
        datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
        b"\x00\xff",
        {"tier": 9, "tags": ["a", "b"]},
        ["a", "c"],
        {"$decimal": "not a tag of ours"},
    ],
)
def test_a_value_kept_between_planning_and_writing_comes_back_the_same(value):
    kept = json.loads(json.dumps(to_json_value(value), allow_nan=False))  # stored as strict JSON
    back = from_json_value(kept)
    if isinstance(value, float) and value != value:
        assert back != back  # NaN
    else:
        assert back == value and type(back) is type(value)


def test_structures_keep_their_items_as_json_values():
    value = {"when": datetime.date(2026, 1, 2), "amounts": (Decimal("1.5"), float("inf")), 3: None}
    assert from_json_value(json.loads(json.dumps(to_json_value(value)))) == {
        "when": "2026-01-02",
        "amounts": ["1.5", "inf"],
        "3": None,
    }


def test_a_json_document_or_an_array_fills_a_text_field_as_json():
    row = {"doc": {"tier": 9, "name": "Zoë"}, "tags": ["a", "c"]}
    mappings = [{"from": "doc", "to": "comments"}]
    assert build_record(external_id="1", row=row, mappings=mappings, fields=FIELDS).fields == {
        "comments": '{"tier": 9, "name": "Zoë"}'
    }
    mappings = [{"from": "tags", "to": "comments"}]
    assert build_record(external_id="1", row=row, mappings=mappings, fields=FIELDS).fields == {
        "comments": '["a", "c"]'
    }


def test_a_structure_is_not_cast_to_a_checkbox_or_a_number():
    row = {"tags": ["a", "c"]}
    for target in ("isInactive", "creditLimit"):
        with pytest.raises(CastError, match=rf"column 'tags' value \['a', 'c'\] is not .* \(field {target}"):
            build_record(external_id="1", row=row, mappings=[{"from": "tags", "to": target}], fields=FIELDS)

"""The REST record service and metadata catalog against the sandbox, signed with OAuth 1.0a."""

import pytest

ACCOUNT = "1234567_SB1"


def error(response) -> tuple:
    body = response.json()
    [detail] = body["o:errorDetails"]
    assert body["status"] == response.status_code
    assert body["type"].startswith("https://www.rfc-editor.org/rfc/")
    return response.status_code, detail["o:errorCode"], detail["detail"]


def test_put_by_external_id_upserts_and_answers_204_with_the_location(netsuite_sandbox, sandbox_rest):
    created = sandbox_rest.request(
        "PUT", "customer/eid:c-1_A", json={"companyName": "Acme", "subsidiary": {"id": "1"}}
    )
    updated = sandbox_rest.request("PUT", "customer/eid:c-1_A", json={"email": "a@b.co"})

    assert (created.status_code, created.content) == (204, b"")
    [stored] = netsuite_sandbox.records(ACCOUNT, "customer")
    assert created.headers["Location"] == (
        f"{sandbox_rest.account['base_url']}/services/rest/record/v1/customer/{stored['internalId']}"
    )
    assert updated.status_code == 204 and updated.headers["Location"] == created.headers["Location"]
    assert stored["externalId"] == "c-1_A"
    assert stored["fields"] == {
        "companyName": "Acme",
        "subsidiary": {"internalId": "1", "externalId": None},
        "email": "a@b.co",
    }


def test_post_creates_a_record_and_refuses_a_taken_external_id(netsuite_sandbox, sandbox_rest):
    created = sandbox_rest.request("POST", "customer", json={"companyName": "Acme", "externalId": "c1"})
    again = sandbox_rest.request("POST", "customer", json={"companyName": "Acme", "externalId": "c1"})
    item = sandbox_rest.request("POST", "inventoryItem", json={"itemId": "SKU", "externalId": "i1"})
    item_again = sandbox_rest.request("POST", "inventoryitem", json={"itemId": "SKU", "externalId": "i1"})

    assert created.status_code == 204
    assert created.headers["Location"].rsplit("/", 1)[1].isdigit()
    assert error(again) == (400, "DUP_ENTITY", "This entity already exists.")
    assert item.status_code == 204
    assert error(item_again) == (400, "DUP_RCRD", "This record already exists.")


def test_patch_updates_by_internal_or_external_id_and_missing_records_are_404(netsuite_sandbox, sandbox_rest):
    created = sandbox_rest.request("PUT", "customer/eid:c1", json={"companyName": "Acme"})
    internal_id = created.headers["Location"].rsplit("/", 1)[1]

    by_id = sandbox_rest.request("PATCH", f"customer/{internal_id}", json={"phone": "555"})
    by_eid = sandbox_rest.request("PATCH", "customer/eid:c1", json={"email": None, "isInactive": True})
    missing = sandbox_rest.request("PATCH", "customer/eid:nope", json={"phone": "1"})

    assert (by_id.status_code, by_eid.status_code) == (204, 204)
    assert error(missing) == (404, "RCRD_DSNT_EXIST", "That record does not exist.")
    [stored] = netsuite_sandbox.records(ACCOUNT, "customer")
    assert stored["fields"] == {"companyName": "Acme", "phone": "555", "isInactive": True}


def test_delete_removes_a_record_once(netsuite_sandbox, sandbox_rest):
    sandbox_rest.request("PUT", "customer/eid:c1", json={"companyName": "Acme"})

    deleted = sandbox_rest.request("DELETE", "customer/eid:c1")
    again = sandbox_rest.request("DELETE", "customer/eid:c1")

    assert deleted.status_code == 204
    assert error(again)[:2] == (404, "RCRD_DSNT_EXIST")
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0


def test_get_answers_the_record_with_select_ids_and_names(customized, sandbox_rest):
    body = {
        "companyName": "Acme",
        "subsidiary": {"id": "1"},
        "custentity_tier": {"externalId": "gold"},
        "custentity_since": "2024-01-31",
        "custentity_vip": True,
    }
    created = sandbox_rest.request("PUT", "customer/eid:c1", json=body)
    internal_id = created.headers["Location"].rsplit("/", 1)[1]

    got = sandbox_rest.request("GET", "customer/eid:c1")

    assert got.status_code == 200
    record = got.json()
    assert record["id"] == internal_id and record["externalId"] == "c1"
    assert record["subsidiary"] == {"id": "1", "refName": "Parent Company"}
    assert record["custentity_tier"]["refName"] == "Gold"
    assert (record["custentity_since"], record["custentity_vip"]) == ("2024-01-31", True)


def test_get_without_an_id_lists_the_records_a_page_at_a_time(sandbox_rest):
    for n in range(3):
        sandbox_rest.request("PUT", f"customer/eid:c{n}", json={"companyName": f"Co {n}"})

    page = sandbox_rest.request("GET", "customer", params={"limit": "2", "offset": "0"}).json()

    assert (page["count"], page["totalResults"], page["hasMore"]) == (2, 3, True)
    assert all(item["id"].isdigit() for item in page["items"])


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"email": "nope"}, (400, "INVALID_FLD_VALUE", "email")),
        ({"isInactive": "yes"}, (400, "INVALID_FLD_VALUE", "isInactive")),
        ({"creditLimit": "lots"}, (400, "INVALID_FLD_VALUE", "creditLimit")),
        ({"subsidiary": "1"}, (400, "INVALID_FLD_VALUE", "subsidiary")),
        ({"subsidiary": {"id": "42"}}, (400, "INVALID_KEY_OR_REF", "subsidiary")),
        ({"custentity_since": "31/01/2024"}, (400, "INVALID_FLD_VALUE", "custentity_since")),
        ({"custentity_tier": {"externalId": "platinum"}}, (400, "INVALID_KEY_OR_REF", "custentity_tier")),
        ({"custentity_unknown": "x"}, (400, "INVALID_FLD_VALUE", "custentity_unknown")),
        ({"favouriteColour": "blue"}, (400, "INVALID_CONTENT", "favouriteColour")),
    ],
)
def test_bad_fields_answer_400_with_the_code_and_path(
    customized, netsuite_sandbox, sandbox_rest, body, expected
):
    response = sandbox_rest.request("PUT", "customer/eid:c1", json={"companyName": "Acme", **body})

    status, code, _ = error(response)
    assert (status, code, response.json()["o:errorDetails"][0]["o:errorPath"]) == expected
    assert netsuite_sandbox.count(ACCOUNT, "customer") == 0


def test_a_new_record_without_required_fields_is_a_user_error(sandbox_rest):
    response = sandbox_rest.request("PUT", "customer/eid:c1", json={"email": "a@b.co"})

    assert error(response) == (400, "USER_ERROR", "Please enter value(s) for: Company Name")


def test_a_body_that_is_not_a_json_object_is_invalid_content(sandbox_rest):
    response = sandbox_rest.request(
        "PUT", "customer/eid:c1", data=b"[1, 2]", headers={"Content-Type": "application/json"}
    )

    assert error(response)[:2] == (400, "INVALID_CONTENT")


def test_an_unknown_record_type_is_not_found(sandbox_rest):
    assert error(sandbox_rest.request("GET", "salesorderx/1"))[:2] == (404, "INVALID_RCRD_TYPE")


def test_custom_records_use_their_script_id_as_rest_type(netsuite_sandbox, customized, sandbox_rest):
    response = sandbox_rest.request("PUT", "customrecord_tier/eid:silver", json={"name": "Silver"})

    assert response.status_code == 204
    assert "/customrecord_tier/" in response.headers["Location"]
    assert sorted(r["externalId"] for r in netsuite_sandbox.records(ACCOUNT, "customrecord_tier")) == [
        "gold",
        "silver",
    ]


def test_the_metadata_catalog_lists_standard_and_custom_record_types(customized, sandbox_rest):
    response = sandbox_rest.request("GET", "metadata-catalog")

    assert response.status_code == 200
    items = {item["name"]: item for item in response.json()["items"]}
    assert {
        "customer",
        "contact",
        "vendor",
        "inventoryItem",
        "nonInventorySaleItem",
        "customrecord_tier",
    } <= set(items)
    describes = [link for link in items["customer"]["links"] if link["rel"] == "describes"]
    assert describes[0]["href"].endswith("/services/rest/record/v1/metadata-catalog/customer")


def test_the_metadata_catalog_describes_fields_custom_ones_included(customized, sandbox_rest):
    response = sandbox_rest.request(
        "GET", "metadata-catalog/customer", headers={"Accept": "application/schema+json"}
    )

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/schema+json")
    schema = response.json()
    properties = schema["properties"]
    assert (schema["type"], schema["title"], schema["required"]) == ("object", "Customer", ["companyName"])
    assert properties["companyName"] == {"title": "Company Name", "type": "string", "x-ns-field-type": "text"}
    assert properties["isInactive"]["type"] == "boolean"
    assert properties["subsidiary"]["x-ns-field-type"] == "select"
    assert set(properties["subsidiary"]["properties"]) == {"id", "externalId", "refName"}
    assert properties["creditLimit"] == {
        "title": "Credit Limit",
        "type": "number",
        "x-ns-field-type": "currency",
    }
    assert properties["custentity_tier"]["x-ns-custom-field"] is True
    assert properties["custentity_tier"]["x-ns-references"] == "customrecord_tier"
    assert properties["custentity_since"]["format"] == "date"
    assert all("x-ns-field-type" in prop for prop in properties.values())


def test_a_oneworld_catalog_requires_the_subsidiary(netsuite_sandbox, sandbox_rest, netsuite_account):
    token = {k: netsuite_account[k] for k in ("consumer_key", "consumer_secret", "token_id", "token_secret")}
    netsuite_sandbox.create_account(
        account_id=ACCOUNT, oneworld=True, tokens=[{**token, "permissions": "all"}]
    )

    schema = sandbox_rest.request("GET", "metadata-catalog/vendor").json()

    assert schema["required"] == ["companyName", "subsidiary"]
